import { createRequire } from 'node:module';
import type { LegacyHighs } from 'highs';

/**
 * Multipliers for the oracle's spot bound (oracle.ts, spotLaunchBound): the coupling constraints'
 * duals of the linear programme "jobs in time slots + spot instances with launches", solved by
 * HiGHS (WebAssembly). They are only a guess at good multipliers: the bound itself is recomputed
 * exactly from them by the oracle's own min-cost flow and chain programme (weak duality holds for
 * any multipliers ≥ 0), so solver tolerances can cost tightness, never validity.
 *
 * The programme, in micro-dollars (HiGHS's tolerances are absolute, 1e-7; dollar costs of a
 * work-second are ~1e-6):
 *   min Σ unit·x + Σ fallback·f + slotUsd·Σ M[t] + bootUsd·Σ u[t] + idleUsd·z
 *   group g:       Σ x[g,·,·] + f[g] = work[g]
 *   resource r, t: Σ x[·,r,t] ≤ capacity[r][t]           (not spot)
 *   coupling t:    Σ x[·,spot,t] − K·M[t] ≤ 0              (its dual, negated and ÷ 1e6, is λ[t])
 *   rise t:        u[t] − M[t] + M[t−1] ≥ 0                (Σ u: the launches)
 *   tails:         z − Σ u[t] ≥ −interruptions             (launches whose idle tail is paid; its dual ÷ 1e6 is ρ)
 *   0 ≤ M[t] ≤ hi[t], u, x, f, z ≥ 0
 */
export interface SpotLp {
  groups: ReadonlyArray<{ work: number; fallback: number; edges: ReadonlyArray<{ r: number; t: number; unit: number }> }>;
  /** capacity[r][t] in work-seconds, for every limited resource (spot's is ignored: hi bounds it) */
  capacity: ReadonlyArray<ArrayLike<number>>;
  spotAt: number;
  slots: number;
  K: number;
  slotUsd: number;
  /** what each launch pays at least (its boot), and what its idle tail adds unless an interruption cuts it */
  bootUsd: number;
  idleUsd: number;
  /** interruption instants of the market over the horizon: at most this many tails are cut */
  interruptions: number;
  hi: ArrayLike<number>;
}

const SCALE = 1e6;

let solver: LegacyHighs | undefined;

/** loads HiGHS once (its WebAssembly module, from the package's own build directory) */
export async function loadLpSolver(): Promise<void> {
  if (solver !== undefined) return;
  const require = createRequire(import.meta.url);
  const load = require('highs') as (settings?: { locateFile?: (file: string) => string }) => Promise<LegacyHighs>;
  const wasm = require.resolve('highs/runtime');
  solver = await load({ locateFile: () => wasm });
}

/**
 * λ[t] ≥ 0 (USD per spot work-second in slot t), ρ in [0, idleUsd] (what a launch's idle tail is
 * worth) and the programme's optimum as the solver found it (USD, for reference: the most this
 * relaxation can certify); null when the solver is not loaded or found no optimum
 */
export function spotMultipliers(lp: SpotLp): { lambda: Float64Array; rho: number; lpUsd: number } | null {
  if (solver === undefined) return null;
  const obj: string[] = [];
  const rows: string[] = [];
  const bounds: string[] = [];
  /** row positions (model order) of the coupling rows, per slot */
  const couplingRow = new Int32Array(lp.slots);
  const perSlot: string[][][] = lp.capacity.map(() => Array.from({ length: lp.slots }, () => []));
  const num = (x: number): string => (Number.isFinite(x) ? x.toPrecision(15) : '0');
  lp.groups.forEach((g, gi) => {
    const terms: string[] = [];
    if (Number.isFinite(g.fallback)) {
      obj.push(`+ ${num(g.fallback * SCALE)} f${gi}`);
      terms.push(`f${gi}`);
    }
    for (const e of g.edges) {
      const name = `x${gi}_${e.r}_${e.t}`;
      if (e.r !== lp.spotAt && e.unit > 0) obj.push(`+ ${num(e.unit * SCALE)} ${name}`);
      terms.push(name);
      perSlot[e.r]![e.t]!.push(name);
    }
    if (terms.length > 0) rows.push(` g${gi}: ${terms.join(' + ')} = ${num(g.work)}`);
  });
  for (let r = 0; r < lp.capacity.length; r++) {
    for (let t = 0; t < lp.slots; t++) {
      const names = perSlot[r]![t]!;
      if (r === lp.spotAt) {
        couplingRow[t] = rows.length;
        rows.push(` k${t}: ${names.length > 0 ? `${names.join(' + ')} ` : ''}- ${num(lp.K)} M${t} <= 0`);
      } else if (names.length > 0) {
        rows.push(` c${r}_${t}: ${names.join(' + ')} <= ${num(lp.capacity[r]![t]!)}`);
      }
    }
  }
  for (let t = 0; t < lp.slots; t++) {
    obj.push(`+ ${num(lp.slotUsd * SCALE)} M${t} + ${num(lp.bootUsd * SCALE)} u${t}`);
    rows.push(` r${t}: u${t} - M${t}${t > 0 ? ` + M${t - 1}` : ''} >= 0`);
    bounds.push(` 0 <= M${t} <= ${num(lp.hi[t]!)}`);
  }
  obj.push(`+ ${num(lp.idleUsd * SCALE)} z`);
  const tailsRow = rows.length;
  rows.push(` tails: z${Array.from({ length: lp.slots }, (_, t) => ` - u${t}`).join('')} >= ${num(-lp.interruptions)}`);
  const text = `Minimize\n obj: ${obj.join('\n ')}\nSubject To\n${rows.join('\n')}\nBounds\n${bounds.join('\n')}\nEnd\n`;
  const solution = solver.solve(text, {});
  if (solution.Status !== 'Optimal') return null;
  const lambda = new Float64Array(lp.slots);
  for (let t = 0; t < lp.slots; t++) {
    const row = solution.Rows[couplingRow[t]!];
    const dual = row !== undefined && 'Dual' in row ? row.Dual : 0;
    lambda[t] = Math.max(0, -dual / SCALE);
  }
  const tails = solution.Rows[tailsRow];
  const rho = Math.min(lp.idleUsd, Math.max(0, (tails !== undefined && 'Dual' in tails ? tails.Dual : 0) / SCALE));
  return { lambda, rho, lpUsd: solution.ObjectiveValue / SCALE };
}
