import type { IdempotencyKey } from '@retrysafe/idempotency';

/** What a consumer does next with an event, e.g. `notify` or `ship`: one key per purpose. */
const purposePattern = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * The Idempotency-Key a consumer sends downstream for one purpose of one event. Derived, never
 * generated: a redelivery, a retry after a crash, or a second endpoint delivering the same event
 * (another webhook-id) computes the same key, so the downstream service acts once. It names the
 * event, so the downstream service's own logs lead back to it.
 */
export const downstreamKeyFor = (eventId: string, purpose: string): IdempotencyKey => {
  if (!purposePattern.test(purpose)) throw new Error(`A downstream purpose is 1-64 of A-Z a-z 0-9 _ . - ("${purpose}" is not)`);
  return `${eventId}:${purpose}` as IdempotencyKey;
};
