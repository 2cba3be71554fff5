import { createHash, randomUUID } from 'node:crypto';

/**
 * Fixed namespace of {@link deterministicKey}'s UUIDv5s, so two programs deriving a key for the
 * same operation agree on it.
 */
const retrysafeNamespace = Buffer.from('6f1d2a9e4c3b5e7a8d0f1b2c3d4e5f60', 'hex');

/** A fresh key for one logical operation: made once, before the first attempt, and reused by every retry. */
export const newIdempotencyKey = (): string => randomUUID();

/**
 * A stable Idempotency-Key derived from your own id for the operation (an order id, a payout
 * id): whichever process, host or restart retries the operation sends the same key, so the
 * server answers every retry with the first attempt's result instead of charging again.
 *
 * Derive keys from what identifies the operation, never from the clock. A key such as
 * `${orderId}-${timestamp_minute}` looks stable, but a retry one second after 12:00:59 lands in
 * the next minute, gets a new key, and the server rightly treats it as a new charge: the
 * customer pays twice. The same goes for attempt counters, random salts and request ids.
 *
 * The key is a UUIDv5 (RFC 9562 §5.5) of the pair, so `('order', 'a:b')` and `('order:a', 'b')`
 * never collide and the raw operation id is not sent to the server.
 */
export const deterministicKey = (namespace: string, operationId: string): string => {
  const hash = createHash('sha1')
    .update(retrysafeNamespace)
    .update(JSON.stringify([namespace, operationId]))
    .digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};
