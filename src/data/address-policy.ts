import { PacketFSError } from '../errors.js';
import type ipaddr from 'ipaddr.js';
import { embeddedIPv4, inCidr, parseCidr, parseIPv4, parseIPv6, type Cidr, type IpAddress } from './ip-address.js';

/**
 * The SSRF address policy: which addresses a data_url may reach. Runtime-
 * neutral (no DNS, no sockets) so runtimes without a resolver (workerd,
 * Vercel Edge) vet literal hosts with the same rules; ssrf-guard.ts adds the
 * Node resolver hook that vets the address actually connected to.
 *
 * Addresses that are not plainly public are refused unless the operator
 * allows them: a fetcher of any URL could otherwise be pointed at admin
 * ports, the cloud metadata service (169.254.169.254) or the private network.
 */
export interface AddressPolicy {
  /** true when connecting to this resolved address is allowed */
  check(address: string, family: 4 | 6): boolean;
  /** why the address is refused ("loopback", ...), or null when it is allowed */
  refusal(address: string, family: 4 | 6): string | null;
  /** true for a host name the operator listed exactly: its addresses are not vetted */
  allowsHostName(host: string): boolean;
}

export interface AddressPolicyOptions {
  /** allow every address (a trusted network, tests) */
  allowPrivate?: boolean | undefined;
  /** exact host names, IP addresses or CIDRs such as 10.0.0.0/8 that are allowed although private */
  allowHosts?: string[] | undefined;
}

interface Range { cidr: Cidr; why: string }

function builtIn(text: string): Cidr {
  const cidr = parseCidr(text);
  if (cidr === null) throw new Error(`bad built-in CIDR ${text}`);
  return cidr;
}

function range(text: string, why: string): Range {
  return { cidr: builtIn(text), why };
}

const REFUSED_V4: Range[] = [
  range('0.0.0.0/8', 'unspecified ("this network")'),
  range('10.0.0.0/8', 'private'),
  range('100.64.0.0/10', 'carrier-grade NAT (shared address space)'),
  range('127.0.0.0/8', 'loopback'),
  range('169.254.0.0/16', 'link-local'),
  range('172.16.0.0/12', 'private'),
  range('192.0.0.0/24', 'IETF protocol assignment'),
  range('192.168.0.0/16', 'private'),
  range('198.18.0.0/15', 'benchmarking'),
  range('224.0.0.0/4', 'multicast'),
  range('255.255.255.255/32', 'broadcast'),
  range('240.0.0.0/4', 'reserved'),
];

const REFUSED_V6: Range[] = [
  range('::/128', 'unspecified'),
  range('::1/128', 'loopback'),
  range('64:ff9b:1::/48', 'local-use NAT64'),
  range('fc00::/7', 'unique local (private)'),
  range('fe80::/10', 'link-local'),
  range('fec0::/10', 'site-local (private)'),
  range('ff00::/8', 'multicast'),
];

/** IPv6 ranges that carry an IPv4 address; the embedded address is judged like a plain one. */
const EMBEDDINGS: Array<{ cidr: Cidr; name: string; extract(address: ipaddr.IPv6): ipaddr.IPv4 }> = [
  { cidr: builtIn('::ffff:0:0/96'), name: 'IPv4-mapped', extract: (a) => embeddedIPv4(a, 12) },
  { cidr: builtIn('::ffff:0:0:0/96'), name: 'IPv4-translated', extract: (a) => embeddedIPv4(a, 12) },
  { cidr: builtIn('64:ff9b::/96'), name: 'NAT64', extract: (a) => embeddedIPv4(a, 12) },
  { cidr: builtIn('2002::/16'), name: '6to4', extract: (a) => embeddedIPv4(a, 2) },
  // Teredo stores the client's IPv4 address inverted in the last 32 bits.
  { cidr: builtIn('2001::/32'), name: 'Teredo', extract: (a) => embeddedIPv4(a, 12, true) },
  // Deprecated IPv4-compatible form (::7f00:1); :: and ::1 are caught before this.
  { cidr: builtIn('::/96'), name: 'IPv4-compatible', extract: (a) => embeddedIPv4(a, 12) },
];

export function createAddressPolicy(opts: AddressPolicyOptions = {}): AddressPolicy {
  const allowedRanges: Cidr[] = [];
  const allowedNames = new Set<string>();
  for (const entry of opts.allowHosts ?? []) {
    const cidr = parseCidr(entry.trim());
    if (cidr !== null) allowedRanges.push(cidr);
    else if (entry.includes('/') || entry.trim() === '') {
      throw new PacketFSError('INVALID_REQUEST', `allowHosts entry "${entry}" is neither a host name nor a CIDR`, { path: 'allowHosts' });
    } else allowedNames.add(normaliseHostName(entry));
  }

  const refusal = (address: string, family: 4 | 6): string | null => {
    if (opts.allowPrivate) return null;
    const parsed = family === 4 ? parseIPv4(address) : parseIPv6(address);
    if (parsed === null) return 'unparseable';
    const embedded = parsed.kind() === 'ipv6' ? embeddedAddress(parsed as ipaddr.IPv6) : null;
    const allowed = allowedRanges.some((cidr) => inCidr(parsed, cidr) || (embedded !== null && inCidr(embedded.v4, cidr)));
    return allowed ? null : classify(parsed);
  };

  return {
    refusal,
    check: (address, family) => refusal(address, family) === null,
    allowsHostName: (host) => opts.allowPrivate === true || allowedNames.has(normaliseHostName(host)),
  };
}

function normaliseHostName(host: string): string {
  return host.trim().toLowerCase().replace(/\.$/, '');
}

function embeddedAddress(address: ipaddr.IPv6): { v4: ipaddr.IPv4; name: string } | null {
  if (REFUSED_V6.slice(0, 2).some((r) => inCidr(address, r.cidr))) return null;
  for (const embedding of EMBEDDINGS) {
    if (inCidr(address, embedding.cidr)) return { v4: embedding.extract(address), name: embedding.name };
  }
  return null;
}

/** Why an address is refused by default, or null for an ordinary public address. */
function classify(address: IpAddress): string | null {
  if (address.kind() === 'ipv4') return REFUSED_V4.find((r) => inCidr(address, r.cidr))?.why ?? null;
  const embedded = embeddedAddress(address as ipaddr.IPv6);
  if (embedded !== null) {
    const why = classify(embedded.v4);
    return why === null ? null : `the ${embedded.name} form of ${embedded.v4.toString()} (${why})`;
  }
  return REFUSED_V6.find((r) => inCidr(address, r.cidr))?.why ?? null;
}

export function forbiddenAddress(host: string, address: string, why: string): PacketFSError {
  const where = host === address ? `host ${host} is` : `host ${host} resolves to ${address}, which is`;
  return new PacketFSError('DATA_URL_FORBIDDEN',
    `data_url ${where} ${why}; the dispatcher does not fetch private, loopback or link-local addresses ` +
    '(SSRF guard) unless the operator allows them (allowPrivate or allowHosts)',
    { status: 400, path: 'program.data_url' });
}

/** Vets a URL host that is an IP literal (these never reach `lookup`). `host` may carry IPv6 brackets. */
export function assertLiteralHostAllowed(policy: AddressPolicy, host: string): void {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const family = ipFamily(bare);
  if (family === 0 || policy.allowsHostName(bare)) return;
  const why = policy.refusal(bare, family);
  if (why !== null) throw forbiddenAddress(bare, bare, why);
}

/** 4 or 6 for an IP literal (IPv6 may carry a zone id), 0 for a host name. */
export function ipFamily(host: string): 0 | 4 | 6 {
  if (parseIPv4(host) !== null) return 4;
  return host.includes(':') && parseIPv6(host) !== null ? 6 : 0;
}
