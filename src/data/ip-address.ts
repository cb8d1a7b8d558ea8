import ipaddr from 'ipaddr.js';

/**
 * IP literals for the SSRF rules, parsed by ipaddr.js into addresses whose
 * prefixes can be compared whatever the textual form (compressed IPv6,
 * embedded dotted IPv4, zone ids). Runtime-neutral: ipaddr.js is plain
 * JavaScript, so workerd and Vercel Edge bundle it too.
 *
 * Stricter than ipaddr.js on purpose: IPv4 must be four decimal parts
 * ("127.1", "0x7f.0.0.1" and "010.0.0.1" are not addresses here: a string a
 * resolver reports never looks like that, and an ambiguous one is refused).
 * ipaddr.js reads the deprecated "::a.b.c.d" as the IPv4-mapped
 * "::ffff:a.b.c.d"; either way the embedded address is judged.
 */
export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

export function parseIPv4(text: string): ipaddr.IPv4 | null {
  return ipaddr.IPv4.isValidFourPartDecimal(text) ? ipaddr.IPv4.parse(text) : null;
}

/** Accepts brackets and a zone id (`[fe80::1%eth0]`), which URL hosts and resolvers may carry. */
export function parseIPv6(text: string): ipaddr.IPv6 | null {
  const body = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  return ipaddr.IPv6.isValid(body) ? ipaddr.IPv6.parse(body) : null;
}

export function parseIP(text: string): IpAddress | null {
  return parseIPv4(text) ?? parseIPv6(text);
}

export interface Cidr {
  network: IpAddress;
  bits: number;
}

/** `10.0.0.0/8`, `fd00::/8`, or a bare address (a /32 or /128). */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const network = parseIP(slash < 0 ? text : text.slice(0, slash));
  if (network === null) return null;
  const max = network.kind() === 'ipv4' ? 32 : 128;
  if (slash < 0) return { network, bits: max };
  const bitsText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > max) return null;
  return { network, bits: Number(bitsText) };
}

export function inCidr(address: IpAddress, cidr: Cidr): boolean {
  return address.kind() === cidr.network.kind() && address.match(cidr.network, cidr.bits);
}

/** The IPv4 address held in four bytes of an IPv6 address (`from` is the first byte's index). */
export function embeddedIPv4(address: ipaddr.IPv6, from: number, invert = false): ipaddr.IPv4 {
  const bytes = address.toByteArray().slice(from, from + 4);
  return new ipaddr.IPv4(invert ? bytes.map((b) => b ^ 0xff) : bytes);
}
