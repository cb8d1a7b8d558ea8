import ipaddr from 'ipaddr.js';

/**
 * The network a node connects from, for "distinct source networks" in
 * quorums: the /24 of an IPv4 address (IPv4-mapped IPv6 included) or the
 * /48 of an IPv6 address, where one operator usually sits. An address that
 * does not parse is its own network.
 */
export function networkOf(address: string): string {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(address);
  } catch {
    return address;
  }
  if (parsed.kind() === 'ipv4') {
    const [a, b, c] = (parsed as ipaddr.IPv4).octets;
    return `${a}.${b}.${c}.0/24`;
  }
  const parts = (parsed as ipaddr.IPv6).parts;
  return `${parts.slice(0, 3).map((p) => p.toString(16)).join(':')}::/48`;
}
