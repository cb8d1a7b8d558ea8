import { PacketFSError } from '../../errors.js';
import { assertLiteralHostAllowed, forbiddenAddress, type AddressPolicy } from '../../data/address-policy.js';
import { parseDataUrl } from '../../data/range-reply.js';

/**
 * The SSRF guard where there is no resolver (workerd, Edge): only the URL's
 * host can be judged. IP literals go through the shared address policy;
 * names that only resolve inside a network are refused by their shape —
 * `localhost`, `*.localhost`, mDNS `*.local`, `*.internal` (GCP's metadata
 * server, Fly's private network) and single-label names, which resolve
 * through search domains to internal hosts.
 */
const INTERNAL_NAME = /(^|\.)(localhost|local|internal)$/;

export function assertDataUrlAllowed(policy: AddressPolicy, url: string): void {
  // Remote runtimes cannot read the dispatcher's blob store by path; its adapters send absolute URLs.
  if (url.startsWith('/')) {
    throw new PacketFSError('INVALID_JOB',
      'data_url must be an absolute http(s) URL here: a remote runtime cannot read the dispatcher\'s /v1/blobs/ paths',
      { path: 'program.data_url' });
  }
  const host = parseDataUrl(url).hostname.toLowerCase().replace(/\.$/, '');
  assertLiteralHostAllowed(policy, host);
  if (host.startsWith('[') || /^[\d.]+$/.test(host) || policy.allowsHostName(host)) return;
  if (INTERNAL_NAME.test(host)) throw forbiddenAddress(host, host, 'an internal host name');
  if (!host.includes('.')) throw forbiddenAddress(host, host, 'a single-label (internal) host name');
}
