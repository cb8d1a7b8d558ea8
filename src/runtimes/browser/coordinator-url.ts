import { NODE_WS_PATH } from '../../node-protocol/index.js';

/**
 * `connectToCoordinator` takes the dispatcher's address in any usual form:
 * its http(s) origin (`https://dispatcher.example`), or the full ws(s) URL of
 * the node socket. Relative URLs resolve against `base` (the page).
 */
export function coordinatorWsUrl(url: string, base: string): string {
  const parsed = new URL(url, base);
  if (parsed.protocol === 'http:') parsed.protocol = 'ws:';
  else if (parsed.protocol === 'https:') parsed.protocol = 'wss:';
  else if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new TypeError(`the coordinator URL must be http(s) or ws(s), not ${parsed.protocol}`);
  }
  if (parsed.pathname === '/' || parsed.pathname === '') parsed.pathname = NODE_WS_PATH;
  parsed.hash = '';
  return parsed.href;
}

