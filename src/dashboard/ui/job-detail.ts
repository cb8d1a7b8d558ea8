import type { JobView } from '../../store/job-store.js';
import { splitProgressOf } from '../parse-snapshot.js';
import { byId, el, fillRows } from './dom.js';

/** GET /v1/jobs/:id: the store's job view, plus a split parent's progress. */
type JobViewReply = JobView & { progress?: unknown };

const JOB_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The job id in the location hash (`#job=<id>`), or null. */
export function jobIdFromHash(hash: string): string | null {
  const match = /^#job=(.+)$/.exec(hash);
  if (match === null) return null;
  let id: string;
  try {
    id = decodeURIComponent(match[1]!);
  } catch {
    return null;
  }
  return JOB_ID.test(id) ? id : null;
}

export function hideJob(): void {
  byId('job-panel').hidden = true;
}

/** Opens the job panel: status, every attempt's error, the final error; with `headers` carrying the token. */
export async function showJob(jobId: string, headers: Record<string, string>): Promise<void> {
  const panel = byId('job-panel');
  const body = byId('job-body');
  byId('job-id').textContent = jobId;
  body.replaceChildren(el('p', { class: 'muted' }, 'loading…'));
  panel.hidden = false;
  let response: Response;
  try {
    response = await fetch(`/v1/jobs/${encodeURIComponent(jobId)}`, { headers, cache: 'no-store' });
  } catch (err) {
    body.replaceChildren(el('p', { class: 'error' }, `could not reach the dispatcher: ${(err as Error).message}`));
    return;
  }
  if (response.status === 404) {
    body.replaceChildren(el('p', { class: 'muted' }, 'this job is not known (any more): results are kept for a limited time.'));
    return;
  }
  if (!response.ok) {
    body.replaceChildren(el('p', { class: 'error' }, `the dispatcher answered ${response.status}`));
    return;
  }
  const job = await response.json() as JobViewReply;
  const result = job.result;
  const facts: Array<[string, string]> = [
    ['status', job.status], ['attempts', String(job.attempts)], ['priority', String(job.priority)], ['created', job.created_at],
    ['substrates allowed', job.substrates === null ? 'any' : job.substrates.join(', ')],
  ];
  if (result !== null) {
    facts.push(['ran on', `${result.substrate ?? '—'}${result.node === undefined ? '' : ` (node ${result.node})`}`]);
    facts.push(['finished', result.completed_at], ['exec / queue', `${result.exec_time_ms.toFixed(1)} ms / ${result.queue_time_ms.toFixed(1)} ms`]);
    if (result.error !== null) facts.push(['error', `${result.error.code}: ${result.error.message}${result.error.path === undefined ? '' : ` (at ${result.error.path})`}`]);
  }
  const progress = splitProgressOf(job.progress);
  if (progress !== null) facts.push(['progress', `${progress.windows_done}/${progress.windows_total} windows, ${progress.bytes_done}/${progress.bytes_total} bytes, ${progress.windows_failed} failed`]);
  const attempts = result?.attempt_errors ?? job.errors;
  const tbody = el('tbody');
  fillRows(tbody, attempts.map((a) => el('tr', { 'data-attempt': String(a.attempt) },
    el('td', { class: 'n' }, String(a.attempt)), el('td', {}, a.substrate ?? '—'), el('td', {}, el('code', {}, a.code)),
    el('td', { class: 'msg' }, a.message), el('td', {}, new Date(a.at).toLocaleTimeString()))), 5, 'no failed attempts');
  body.replaceChildren(
    el('dl', {}, ...facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])),
    el('h3', {}, 'Attempt errors'),
    el('div', { class: 'scroll' }, el('table', {},
      el('thead', {}, el('tr', {}, el('th', { class: 'n' }, '#'), el('th', {}, 'substrate'), el('th', {}, 'code'), el('th', {}, 'message'), el('th', {}, 'at'))),
      tbody)),
  );
}
