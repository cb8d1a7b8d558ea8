import { formatAge, formatBytes, formatCount, formatLatency, formatRate, formatScore, formatUsd, percent } from '../dashboard/format.js';
import type { DashboardFrame } from '../dashboard/snapshot.js';
import { formatTable } from './output.js';

const SPARK = '▁▂▃▄▅▆▇█';
/** seconds of throughput the sparkline covers (one character each) */
const SPARK_SECONDS = 60;

/** One dashboard frame as the lines `packetfs top` prints: the page's numbers, in the same words. */
export function topLines(frame: DashboardFrame, width = 100): string[] {
  const ready = frame.dispatchers.filter((d) => d.ready).length;
  const depth = frame.depth;
  const lines = [
    `packetfs top — ${new Date(frame.at).toISOString().slice(11, 19)} UTC — ${frame.dispatchers.length} dispatcher${frame.dispatchers.length === 1 ? '' : 's'} (${ready} ready)`,
    '',
    `jobs/s ${formatRate(frame.jobs_per_second)}   queued ${depth?.queued ?? '—'}   delayed ${depth?.delayed ?? '—'}   running ${depth?.running ?? '—'}   ` +
      `p50 ${formatLatency(frame.latency_p50_ms)}   p99 ${formatLatency(frame.latency_p99_ms)}`,
    `succeeded ${formatCount(frame.totals.succeeded)}   failed ${formatCount(frame.totals.failed)}   cost ${formatUsd(frame.totals.cost_usd)}   ` +
      `processed ${formatBytes(frame.totals.bytes)}   nodes ${frame.nodes_connected}${kinds(frame)}`,
    `last ${Math.min(SPARK_SECONDS, Math.max(10, width - 12))} s  ${sparkline(frame, Math.min(SPARK_SECONDS, Math.max(10, width - 12)))}`,
    '',
    formatTable(['SUBSTRATE', 'HEALTH', 'CIRCUIT', 'LATENCY', 'SCORE', 'IN_FLIGHT', 'DONE', 'FAILED', 'COST'],
      frame.substrates.map((s) => [s.name, s.healthy ? 'healthy' : 'down', s.circuit, formatLatency(s.measured_latency_ms), formatScore(s.score),
        String(s.in_flight), String(s.succeeded), String(s.failed), formatUsd(s.cost_usd)])),
    '',
    formatTable(['DISPATCHER', 'HEALTH', 'JOBS/S', 'IN_FLIGHT', 'STORE', 'SEEN'],
      frame.dispatchers.map((d) => [d.id, d.draining ? 'draining' : d.ready ? 'ready' : 'not ready', formatRate(d.jobs_per_second),
        String(d.in_flight), d.store, formatAge(d.age_ms)])),
  ];
  if (frame.top_by_throughput.length > 0) {
    lines.push('', formatTable(['NODE', 'KIND', 'THROUGHPUT', 'DONE', 'REPUTATION', 'STATE'],
      frame.top_by_throughput.map((n) => [n.node_id, n.kind, n.throughput_bps === null ? '—' : `${formatBytes(n.throughput_bps)}/s`,
        String(n.completed), n.reputation === null ? '—' : n.reputation.toFixed(2), n.state ?? '—'])));
  }
  for (const { job_id, progress: p } of frame.splits) {
    const pct = percent(p.bytes_done, p.bytes_total);
    const bar = Math.round(pct / 5);
    lines.push(`split ${job_id} [${'#'.repeat(bar)}${'.'.repeat(20 - bar)}] ${pct.toFixed(0)}% ${p.windows_done}/${p.windows_total} windows${p.windows_failed > 0 ? `, ${p.windows_failed} failed` : ''}`);
  }
  if (frame.failures.length > 0) {
    lines.push('', formatTable(['RECENT FAILURE', 'CODE', 'SUBSTRATE', 'ATTEMPTS', 'AT'],
      frame.failures.slice(0, 5).map((f) => [f.job_id, f.code, f.substrate ?? '—', String(f.attempts), f.at.slice(11, 19)])));
  }
  return lines.flatMap((l) => l.split('\n'));
}

function kinds(frame: DashboardFrame): string {
  const entries = Object.entries(frame.nodes_by_kind);
  return entries.length === 0 ? '' : ` (${entries.map(([k, n]) => `${k} ${n}`).join(', ')})`;
}

/** Jobs per second over the last `seconds` complete seconds, scaled to the busiest of them. */
function sparkline(frame: DashboardFrame, seconds: number): string {
  const n = frame.series_succeeded.length;
  const values: number[] = [];
  for (let i = n - 1 - seconds; i < n - 1; i++) values.push(i < 0 ? 0 : frame.series_succeeded[i]! + frame.series_failed[i]!);
  const max = Math.max(...values);
  return values.map((v) => (max === 0 ? ' ' : SPARK[Math.min(SPARK.length - 1, Math.floor((v / max) * (SPARK.length - 1)))])).join('');
}
