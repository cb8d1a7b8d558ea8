import { readFrames } from '../frame-stream.js';
import { PacketFSError } from '../../errors.js';
import { ThroughputChart } from './chart.js';
import { byId } from './dom.js';
import { hideJob, jobIdFromHash, showJob } from './job-detail.js';
import { renderFrame } from './render.js';
import { Backoff, type BackoffPolicy } from '../../util/backoff.js';

/**
 * The dashboard page. One fetch()-read SSE stream (GET /v1/dashboard/stream)
 * drives everything. Connection states (body[data-connection]):
 *   connecting ──first frame──► live ──stream ends or fails──► error ──backoff──► connecting
 *   connecting ──401──► locked (token form shown) ──token entered──► connecting
 * The token lives in sessionStorage only (this tab, until it closes), is sent
 * only in the Authorization header, and is never written to a URL or the console.
 */
const TOKEN_KEY = 'packetfs.dashboard.token';
/** a person watches the state: no jitter */
const RECONNECT_BACKOFF: BackoffPolicy = { baseMs: 1000, maxMs: 10_000, jitter: 'none' };

let controller: AbortController | null = null;
const backoff = new Backoff(RECONNECT_BACKOFF);
let retryTimer: number | undefined;
const chart = new ThroughputChart(byId('chart'));

function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

function authHeaders(): Record<string, string> {
  const t = token();
  return t === null ? {} : { authorization: `Bearer ${t}` };
}

function setConnection(state: 'connecting' | 'live' | 'error' | 'locked', text: string): void {
  document.body.dataset.connection = state;
  byId('conn-text').textContent = text;
  byId('forget-token').hidden = token() === null;
}

function connect(): void {
  window.clearTimeout(retryTimer);
  controller?.abort();
  const mine = new AbortController();
  controller = mine;
  setConnection('connecting', 'connecting…');
  const t = token();
  readFrames({ baseUrl: location.origin, signal: mine.signal, ...(t === null ? {} : { token: t }) }, (frame) => {
    if (document.body.dataset.connection !== 'live') setConnection('live', 'live');
    backoff.reset();
    renderFrame(frame);
    chart.update(frame);
  }).then(() => {
    if (!mine.signal.aborted) retry('the stream ended');
  }, (err: unknown) => {
    if (mine.signal.aborted) return;
    if (err instanceof PacketFSError && err.code === 'UNAUTHORIZED') {
      lock(t === null ? null : 'that token was refused');
      return;
    }
    retry(err instanceof Error ? err.message : String(err));
  });
}

function retry(why: string): void {
  setConnection('error', `reconnecting: ${why}`);
  retryTimer = window.setTimeout(connect, backoff.next());
}

function lock(error: string | null): void {
  sessionStorage.removeItem(TOKEN_KEY);
  setConnection('locked', 'token needed');
  byId('token-panel').hidden = false;
  byId('main').hidden = true;
  const message = byId('token-error');
  message.hidden = error === null;
  message.textContent = error ?? '';
  byId<HTMLInputElement>('token-input').focus();
}

byId<HTMLFormElement>('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = byId<HTMLInputElement>('token-input');
  const value = input.value.trim();
  if (value === '') return;
  sessionStorage.setItem(TOKEN_KEY, value);
  input.value = '';
  byId('token-panel').hidden = true;
  byId('main').hidden = false;
  connect();
  openJobFromHash();
});

byId('forget-token').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  controller?.abort();
  connect();
});

function openJobFromHash(): void {
  const id = jobIdFromHash(location.hash);
  if (id === null) hideJob();
  else void showJob(id, authHeaders());
}

byId('job-close').addEventListener('click', (event) => {
  event.preventDefault();
  history.replaceState(null, '', location.pathname + location.search);
  hideJob();
});
window.addEventListener('hashchange', openJobFromHash);

connect();
openJobFromHash();
