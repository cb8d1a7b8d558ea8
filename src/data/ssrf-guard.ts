import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { forbiddenAddress, type AddressPolicy } from './address-policy.js';

/**
 * SSRF guard for Node. The policy itself (address-policy.ts) is runtime-
 * neutral; this module adds the check on the address actually connected to:
 * node-fetch-range.ts passes `guardedLookup` as the socket's `lookup`, so a
 * host name that resolves to a public address when vetted and a private one
 * when connecting (DNS rebinding) cannot slip through. IP literals skip DNS,
 * so `assertLiteralHostAllowed` vets them before connecting.
 */
export {
  assertLiteralHostAllowed, createAddressPolicy, forbiddenAddress,
  type AddressPolicy, type AddressPolicyOptions,
} from './address-policy.js';

/**
 * A `lookup` for net/http/https that resolves every address of the host and
 * refuses the connection if ANY of them is forbidden: connecting may try
 * each address in turn (happy eyeballs), so one bad address is enough.
 */
export function guardedLookup(policy: AddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { family: options.family, hints: options.hints, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      if (addresses.length === 0) {
        const notFound: NodeJS.ErrnoException = new Error(`no addresses for ${hostname}`);
        notFound.code = 'ENOTFOUND';
        return callback(notFound, '', 0);
      }
      if (!policy.allowsHostName(hostname)) {
        for (const { address, family } of addresses) {
          const why = policy.refusal(address, family === 6 ? 6 : 4);
          if (why !== null) return callback(forbiddenAddress(hostname, address, why), '', 0);
        }
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0]!;
      return callback(null, first.address, first.family);
    });
  };
}
