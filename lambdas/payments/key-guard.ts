import { createHash } from 'node:crypto';
import { jsonResponse, type HttpResponse } from '../http/types.js';
import { keyReusedResponse, type ActiveIdempotency, type IdempotencyKey } from '../idempotency/index.js';
import type { AccountId } from '../shared/ids.js';
import { chargeResponse } from './charge-responses.js';
import type { PaymentsStore } from './payments-store.js';
import type { GuardedResource, KeyGuardItem } from './records.js';

/**
 * Retries that arrive after the 24-hour idempotency record expired (a client's backoff gone
 * long, a queue drained a week late) move no money twice: the processor is asked under the same
 * downstream key, and the permanent key guard answers with what the key created.
 */

/**
 * The processor's idempotency key for a Retrysafe request: the same (tenant, Idempotency-Key)
 * always maps to the same downstream key, on a retry, on a lease takeover after a crash, or
 * a month later, so the processor itself refuses to charge twice. Hashing keeps tenants' keys
 * apart and keeps client-chosen text out of the processor's logs.
 */
export const downstreamKey = (tenant: AccountId, key: IdempotencyKey): string =>
  `retrysafe_${createHash('sha256').update(`${tenant}\n${key}`, 'utf8').digest('hex')}`;

/** The reads a replay from the guard needs. */
export type GuardedResourceReads = Pick<PaymentsStore, 'readCharge' | 'readRefund'>;

const replayed = { 'Idempotent-Replayed': 'true' };

/**
 * The answer to a late retry whose key guard was found: the resource the key created, as it
 * stands now, when the retry is the request that created it (same fingerprint, on a route that
 * creates that kind of resource); otherwise the key is being reused for another request.
 */
export const replayFromGuard = async (
  store: GuardedResourceReads,
  tenant: AccountId,
  guard: KeyGuardItem,
  idempotency: ActiveIdempotency,
  routeCreates: GuardedResource['kind'],
): Promise<HttpResponse> => {
  const { resource } = guard;
  if (guard.fingerprint !== idempotency.fingerprint || resource.kind !== routeCreates) return keyReusedResponse();
  switch (resource.kind) {
    case 'charge': {
      const charge = await store.readCharge(tenant, resource.id);
      if (charge === undefined) throw new Error(`Key guard points at missing charge ${resource.id}`);
      return chargeResponse(charge, 200, replayed);
    }
    case 'refund': {
      const refund = await store.readRefund(tenant, resource.id);
      if (refund === undefined) throw new Error(`Key guard points at missing refund ${resource.id}`);
      return jsonResponse(200, refund, replayed);
    }
  }
};
