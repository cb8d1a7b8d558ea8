import { formatAge, formatBytes, formatCount, formatLatency, formatRate, formatScore, formatUsd, percent } from '../format.js';
import type { DashboardFrame, NodeRow } from '../snapshot.js';
import { byId, el, fillRows, pill, setMetric } from './dom.js';

/** Puts one frame on the page: the data-metric numbers and every table. */
export function renderFrame(frame: DashboardFrame): void {
  setMetric('jobs-per-second', trim(frame.jobs_per_second, 2));
  setMetric('queue-depth', frame.depth === null ? '—' : String(frame.depth.queued));
  setMetric('queue-delayed', frame.depth === null ? '—' : String(frame.depth.delayed));
  setMetric('queue-running', frame.depth === null ? '—' : String(frame.depth.running));
  setMetric('latency-p50-ms', frame.latency_p50_ms === null ? '—' : trim(frame.latency_p50_ms, 1));
  setMetric('latency-p99-ms', frame.latency_p99_ms === null ? '—' : trim(frame.latency_p99_ms, 1));
  setMetric('jobs-succeeded', String(frame.totals.succeeded));
  setMetric('jobs-failed', String(frame.totals.failed));
  setMetric('nodes-connected', String(frame.nodes_connected));
  setMetric('cost-usd', trim(frame.totals.cost_usd, 6));
  renderBudget(frame);
  const ready = frame.dispatchers.filter((d) => d.ready).length;
  byId('dispatcher-count').textContent = `${frame.dispatchers.length} dispatcher${frame.dispatchers.length === 1 ? '' : 's'}, ${ready} ready · ${formatBytes(frame.totals.bytes)} processed`;
  renderSubstrates(frame);
  renderDispatchers(frame);
  renderNodes(frame);
  renderSplits(frame);
  renderFailures(frame);
}

/** Budget KPI: the tightest limit left, the limit shown (daily, else monthly), the month's spend; warn at 80%, bad at 100%. */
function renderBudget(frame: DashboardFrame): void {
  const b = frame.budget;
  const limit = b === null ? null : b.daily_usd ?? b.monthly_usd;
  setMetric('budget-usd', limit === null ? '—' : trim(limit, 6));
  setMetric('budget-remaining-usd', b === null || b.remaining_usd === null ? '—' : trim(b.remaining_usd, 6));
  setMetric('spend-month-usd', b === null ? '0' : trim(b.spent_month_usd, 6));
  byId('budget-kpi').className = b === null || b.alert === 0 ? 'kpi' : b.alert === 100 ? 'kpi bad' : 'kpi warn';
}

/** A number as text without trailing zeros (the data-metric contract: the text is the number). */
function trim(value: number, digits: number): string {
  return String(Number(value.toFixed(digits)));
}

function renderSubstrates(frame: DashboardFrame): void {
  const rows = frame.substrates.map((s) => el('tr', { 'data-substrate': s.name },
    el('td', {}, el('strong', {}, s.name)),
    el('td', {}, s.type),
    el('td', s.last_error === null ? {} : { title: s.last_error }, s.healthy ? pill('healthy', 'ok') : pill('down', 'bad')),
    el('td', {}, s.circuit === 'closed' ? pill('closed', 'ok') : s.circuit === 'open' ? pill('open', 'bad') : pill('half-open', 'warn')),
    el('td', { class: 'n' }, formatLatency(s.measured_latency_ms)),
    el('td', { class: 'n' }, formatScore(s.score)),
    el('td', { class: 'n' }, formatCount(s.in_flight)),
    el('td', { class: 'n' }, formatCount(s.succeeded)),
    el('td', { class: 'n' }, formatCount(s.failed)),
    el('td', { class: 'n' }, formatUsd(s.cost_usd)),
  ));
  fillRows(byId('substrates'), rows, 10, 'no substrates');
}

function renderDispatchers(frame: DashboardFrame): void {
  const rows = frame.dispatchers.map((d) => el('tr', { 'data-dispatcher': d.id },
    el('td', { title: `${d.host} pid ${d.pid}, up since ${d.started_at}` }, d.id),
    el('td', {}, d.draining ? pill('draining', 'warn') : d.ready ? pill('ready', 'ok') : pill('not ready', 'bad')),
    el('td', { class: 'n' }, formatRate(d.jobs_per_second)),
    el('td', { class: 'n' }, formatCount(d.in_flight)),
    d.store_warning === undefined ? el('td', {}, d.store) : el('td', { title: d.store_warning }, d.store, ' ', pill('not durable', 'warn')),
    el('td', {}, formatAge(d.age_ms)),
  ));
  fillRows(byId('dispatchers'), rows, 6, 'no dispatcher');
}

function renderNodes(frame: DashboardFrame): void {
  const kinds = Object.entries(frame.nodes_by_kind);
  byId('kinds').replaceChildren(...(kinds.length === 0
    ? [el('span', {}, 'no volunteers connected')]
    : kinds.map(([kind, n]) => el('span', { 'data-kind': kind }, `${kind === 'node' ? 'Node.js' : kind}: ${n}`))));
  const reputation = (n: NodeRow) => (n.reputation === null ? '—' : n.reputation.toFixed(2));
  fillRows(byId('top-throughput'), frame.top_by_throughput.map((n) => el('tr', { 'data-node': n.node_id },
    el('td', {}, el('code', {}, n.node_id)), el('td', {}, n.kind),
    el('td', { class: 'n' }, n.throughput_bps === null ? '—' : `${formatBytes(n.throughput_bps)}/s`),
    el('td', { class: 'n' }, `${n.in_flight}/${n.slots}`), el('td', { class: 'n' }, formatCount(n.completed)),
    el('td', { class: 'n' }, reputation(n)), el('td', {}, n.state ?? '—'),
  )), 7, 'no measured nodes yet');
  fillRows(byId('top-reputation'), frame.top_by_reputation.map((n) => el('tr', { 'data-node': n.node_id },
    el('td', {}, el('code', {}, n.node_id)), el('td', {}, n.kind), el('td', { class: 'n' }, reputation(n)),
    el('td', {}, n.state ?? '—'), el('td', { class: 'n' }, formatCount(n.completed)),
  )), 5, 'no scored nodes yet');
}

function renderSplits(frame: DashboardFrame): void {
  const box = byId('splits');
  if (frame.splits.length === 0) {
    box.replaceChildren(el('p', { class: 'muted' }, 'no split jobs running'));
    return;
  }
  box.replaceChildren(...frame.splits.map(({ job_id, progress: p }) => {
    const done = percent(p.bytes_done, p.bytes_total);
    const failed = percent(p.windows_failed, p.windows_total);
    return el('div', { class: 'split', 'data-split': job_id },
      el('div', {}, el('a', { href: `#job=${encodeURIComponent(job_id)}` }, job_id),
        ` ${p.windows_done}/${p.windows_total} windows · ${formatBytes(p.bytes_done)} of ${formatBytes(p.bytes_total)}`,
        p.windows_failed > 0 ? ` · ${p.windows_failed} failed` : ''),
      el('div', { class: 'bar', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': done.toFixed(0) },
        el('i', { style: `width:${done.toFixed(1)}%` }), el('i', { class: 'failed', style: `width:${failed.toFixed(1)}%` })));
  }));
}

function renderFailures(frame: DashboardFrame): void {
  const rows = frame.failures.map((f) => el('tr', { 'data-failure': f.job_id },
    el('td', {}, el('a', { href: `#job=${encodeURIComponent(f.job_id)}` }, f.job_id)),
    el('td', {}, el('code', { 'data-code': f.code }, f.code)),
    el('td', {}, f.substrate ?? '—'),
    el('td', { class: 'n' }, String(f.attempts)),
    el('td', { title: f.at }, new Date(f.at).toLocaleTimeString()),
    el('td', { class: 'msg', title: f.message }, f.message),
  ));
  fillRows(byId('failures'), rows, 6, 'no failures');
}
