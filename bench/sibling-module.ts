import { fileURLToPath } from 'node:url';

/**
 * A bench child process runs the way the bench itself runs: compiled beside
 * it in dist/bench, or from source under tsx. Returns the child's file and
 * the node flags it needs.
 */
export function siblingModule(benchUrl: string, name: string): { path: string; execArgv: string[] } {
  const fromSource = benchUrl.endsWith('.ts');
  return {
    path: fileURLToPath(new URL(`./${name}${fromSource ? '.ts' : '.js'}`, benchUrl)),
    execArgv: fromSource ? ['--import', 'tsx'] : [],
  };
}
