import { InvalidArgumentError, Option, type Command } from 'commander';
import type { NodeView } from '../../substrates/node-pool/node-pool.js';
import { clientFrom, withClientOptions, type ClientFlags } from '../client-options.js';
import { formatTable, printJson, printLine } from '../output.js';

/**
 * `packetfs nodes …`: the operator's view of volunteer nodes (docs/trust.md).
 *   nodes list                      connected nodes, reputation, state
 *   nodes ban ID                    close and refuse a node
 *   nodes token create [--ttl 7d] [--kind browser|node] [--label L]
 *   nodes token list | revoke ID
 */
export function registerNodes(program: Command): void {
  const nodes = program.command('nodes').description('volunteer nodes: list, ban, join tokens');

  withClientOptions(nodes.command('list'))
    .description('connected nodes with kind, address, slots, reputation and state')
    .option('--json', 'print JSON')
    .action(async (flags: ClientFlags & { json?: boolean }) => {
      const report = await clientFrom(flags).listNodes();
      if (flags.json) {
        printJson(report);
        return;
      }
      printLine(formatTable(['NODE', 'KIND', 'ADDRESS', 'LABEL', 'SLOTS', 'IN_FLIGHT', 'DONE', 'REPUTATION', 'STATE'], report.nodes.map(row)));
      const v = report.verification;
      printLine(`verification: ${v.accepted} results accepted, ${v.nodeExecutions + v.arbiterExecutions} executions, ${v.wrongCaught} wrong caught, ${v.convicted} nodes banned, ${v.corrected} results corrected`);
    });

  withClientOptions(nodes.command('ban').argument('<node_id>', 'a node id from `nodes list`'))
    .description('close a node\'s connection and refuse its id (and its join token) from now on')
    .action(async (nodeId: string, flags: ClientFlags) => {
      await clientFrom(flags).banNode(nodeId);
      printLine(`banned ${nodeId}`);
    });

  const token = nodes.command('token').description('join tokens: one credential per node, revocable');

  withClientOptions(token.command('create'))
    .description('mint a join token (printed once; give it to the node as --token)')
    .addOption(new Option('--ttl <duration>', 'valid for this long, e.g. 12h, 7d, 3600s (default: until revoked)').argParser(duration))
    .addOption(new Option('--kind <kind>', 'only for this kind of node').choices(['browser', 'node']))
    .option('--label <label>', 'a name shown in `nodes list`')
    .option('--json', 'print JSON')
    .action(async (flags: ClientFlags & { ttl?: number; kind?: 'browser' | 'node'; label?: string; json?: boolean }) => {
      const minted = await clientFrom(flags).createNodeToken({
        ...(flags.ttl === undefined ? {} : { ttl_s: flags.ttl }),
        ...(flags.kind === undefined ? {} : { kind: flags.kind }),
        ...(flags.label === undefined ? {} : { label: flags.label }),
      });
      if (flags.json) printJson(minted);
      else printLine(minted.token);
    });

  withClientOptions(token.command('list'))
    .description('join tokens (ids and metadata; the tokens themselves are never stored)')
    .option('--json', 'print JSON')
    .action(async (flags: ClientFlags & { json?: boolean }) => {
      const tokens = await clientFrom(flags).listNodeTokens();
      if (flags.json) printJson({ tokens });
      else printLine(formatTable(['ID', 'KIND', 'LABEL', 'CREATED', 'EXPIRES', 'REVOKED'], tokens.map((t) => [
        t.id, t.kind ?? 'any', t.label ?? '-', t.created_at, t.expires_at ?? 'never', t.revoked_at ?? '-'])));
    });

  withClientOptions(token.command('revoke').argument('<id>', 'a token id from `nodes token list`'))
    .description('revoke a join token; nodes using it are disconnected')
    .action(async (id: string, flags: ClientFlags) => {
      await clientFrom(flags).revokeNodeToken(id);
      printLine(`revoked ${id}`);
    });
}

function row(n: NodeView): string[] {
  return [n.node_id, n.kind, n.address, n.label ?? '-', `${n.slots_granted}/${n.slots}`, String(n.in_flight), String(n.completed), String(n.reputation), n.state];
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** 90s, 15m, 12h, 7d → seconds. */
export function duration(value: string): number {
  const m = /^(\d+)([smhd])$/.exec(value.trim());
  if (m === null) throw new InvalidArgumentError('expected a duration such as 90s, 15m, 12h or 7d');
  return Number(m[1]) * UNITS[m[2]!]!;
}
