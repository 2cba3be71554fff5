import { createHash } from 'node:crypto';
import {
  type ActiveIdempotency,
  type CommittableResponse,
  decodeResponse,
  type IdempotencyKey,
  type RejectedWrite,
  replayResponse,
  withoutStoring,
} from '@retrysafe/idempotency';
import { retrysafeIdempotencyAnswers } from '../http/idempotency-problems.js';
import type { TransactItem } from '../shared/dynamodb.js';
import type { AccountId, Brand } from '../shared/ids.js';
import type { GuardedResource, KeyGuardItem } from './records.js';

/**
 * Retries that arrive after the 24-hour idempotency record expired (a client's backoff gone
 * long, a queue drained a week late) move no money twice: the processor is asked under the same
 * downstream key, and the permanent key guard answers with what the key created.
 */

/** The processor's idempotency key for one Retrysafe request. */
export type DownstreamKey = Brand<string, 'DownstreamKey'>;

/**
 * The same (tenant, Idempotency-Key) always maps to the same downstream key, on a retry, on a
 * lease takeover after a crash, in the completer, or a month later, so the processor itself
 * refuses to charge twice. Hashing keeps tenants' keys apart and keeps client-chosen text out of
 * the processor's logs; it also names the key guard, so a processor record (which carries the
 * downstream key and the account) leads straight to the guard of the request that made it.
 */
export const downstreamKey = (tenant: AccountId, key: IdempotencyKey): DownstreamKey =>
  `retrysafe_${createHash('sha256').update(`${tenant}\n${key}`, 'utf8').digest('hex')}` as DownstreamKey;

/** A processor object's idempotency key, when it has the shape of one Retrysafe derived. */
export const parseDownstreamKey = (raw: string): DownstreamKey | undefined =>
  /^retrysafe_[0-9a-f]{64}$/.test(raw) ? (raw as DownstreamKey) : undefined;

/** What names a payments request for good: the downstream key its guard is kept under, and its request's fingerprint. */
export interface RequestIdentity {
  readonly downstreamKey: DownstreamKey;
  readonly fingerprint: string;
}

export const identityOf = (tenant: AccountId, idempotency: ActiveIdempotency): RequestIdentity => ({
  downstreamKey: downstreamKey(tenant, idempotency.key),
  fingerprint: idempotency.fingerprint,
});

/**
 * The answer to a late retry whose key guard was found: the original answer, status and body
 * byte for byte, when the retry is the request that created the resource (same fingerprint, on
 * a route that creates that kind of resource). Otherwise the key is being reused for another
 * request: 422, and not stored, or it would be replayed to the key's true retry for a day.
 */
export const replayFromGuard = (
  guard: KeyGuardItem,
  identity: RequestIdentity,
  routeCreates: GuardedResource['kind'],
): CommittableResponse =>
  guard.fingerprint === identity.fingerprint && guard.resource.kind === routeCreates
    ? replayResponse(decodeResponse(guard))
    : withoutStoring(retrysafeIdempotencyAnswers({ kind: 'key-reused' }));

/**
 * The answer when this request's key guard could not be written at commit because one exists:
 * another executor of the key (the client's retry after the record expired, the completer, the
 * reconciler) committed first. Nothing of this request was written; the rival's guard answers,
 * as it would have had this request read it a moment later.
 */
export const answerFromRivalGuard =
  (writes: readonly TransactItem[], guardWrite: TransactItem, identity: RequestIdentity, routeCreates: GuardedResource['kind']) =>
  ({ index, item }: RejectedWrite): CommittableResponse => {
    if (writes[index] !== guardWrite || item === undefined) throw new Error(`Write ${index} was rejected at commit`);
    return replayFromGuard(item as unknown as KeyGuardItem, identity, routeCreates);
  };
