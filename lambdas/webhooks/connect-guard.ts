import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { type DestinationRules, refusalForAddress, type Resolver, type Scheme } from './destination-policy.js';

/** Raised inside the socket's DNS lookup, so no connection to a refused address is ever opened. */
export class DestinationRefusedError extends Error {
  readonly code = 'EWEBHOOKDESTINATION';
  constructor(readonly reason: string) {
    super(`Webhook destination refused: ${reason}`);
    this.name = 'DestinationRefusedError';
  }
}

/**
 * A `lookup` for net.connect/tls.connect that resolves the name and refuses the connection when
 * any address breaks the destination rules. Checking here rather than before the request closes
 * the DNS-rebinding race: a separate pre-flight resolution could see a public address and the
 * connect a moment later a private one, whereas this is the very answer the socket connects to.
 *
 * Node calls it with `all: true` when it races IPv4 and IPv6 (autoSelectFamily, the default
 * since Node 20), and expects a single address otherwise; both shapes are answered.
 */
export const guardedLookup =
  (resolve: Resolver, scheme: Scheme, rules: DestinationRules): LookupFunction =>
  (hostname, options, callback) => {
    resolve(hostname).then(
      (resolved) => {
        const addresses = options.family === 4 || options.family === 6 ? resolved.filter((a) => a.family === options.family) : resolved;
        const first = addresses[0];
        if (first === undefined) {
          callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '');
          return;
        }
        for (const { address } of resolved) {
          const refusal = refusalForAddress(address, scheme, rules);
          if (refusal !== undefined) {
            callback(new DestinationRefusedError(`${hostname} resolves to ${refusal}`), '');
            return;
          }
        }
        if (options.all === true) {
          callback(
            null,
            addresses.map((a): LookupAddress => ({ address: a.address, family: a.family })),
          );
        } else {
          callback(null, first.address, first.family);
        }
      },
      (error: unknown) => {
        callback(error instanceof Error ? error : new Error(String(error)), '');
      },
    );
  };
