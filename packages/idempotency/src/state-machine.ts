import type { IdempotencyKey } from './key-header.js';
import { decodeResponse, type StoredResponse } from './stored-response.js';

/**
 * The idempotency record's life, one DynamoDB item per (scope, key):
 *
 *   (absent) --claim--> IN_PROGRESS --complete--> COMPLETED
 *                            |  \--release (5xx, thrown error)--> (absent)
 *                            \--takeover (lease expired, same request)--> IN_PROGRESS (new token)
 *   any state --TTL passes--> treated as absent (DynamoDB deletes it eventually)
 *
 * A request whose execution may reach a system outside (a card processor) claims its key as a
 * RECOVERY POINT: the claim carries what is needed to finish the request, and it has no
 * expiry. Such a claim is never released once its handler ran; a failure suspends it instead:
 *
 *   IN_PROGRESS (recovery point) --suspend (5xx, thrown error, crash: lease ends)-->
 *       IN_PROGRESS, lease over, recoverAt set
 *       --takeover by the client's retry or by the completer--> IN_PROGRESS (new token) --> ...
 *       --complete--> COMPLETED (expiry starts now)
 *       --release, once the outside system is known never to have seen it--> (absent)
 *
 * Every transition is one conditional write whose condition is defined here; the fencing token
 * makes complete, suspend and release succeed only for the invocation that holds the current
 * claim, so an executor that lost its lease can neither overwrite nor delete its successor's
 * record, and of a retry and the completer racing for a recovery point exactly one wins.
 */
export type RecordStatus = 'IN_PROGRESS' | 'COMPLETED';

interface RecordBase {
  readonly pk: string;
  readonly fingerprint: string;
  /** Fencing token of the claim that wrote the record. */
  readonly token: string;
  /** Epoch ms of the claim. */
  readonly claimedAt: number;
  /** Epoch seconds; DynamoDB's TTL attribute. Absent on a recovery point: it must outlive any outage. */
  readonly expiresAt?: number;
}

/** What a recovery point keeps so that someone other than the client can finish the request. */
export interface RecoveryPoint {
  readonly scope: string | undefined;
  readonly key: IdempotencyKey;
  /** The adapter's own description of the request: the validated request, the downstream key. */
  readonly request: Readonly<Record<string, unknown>>;
  /** Epoch ms the request first claimed its key; kept across takeovers, so an operator sees how long it has waited. */
  readonly since: number;
}

export interface InProgressRecord extends RecordBase {
  readonly status: 'IN_PROGRESS';
  /** Epoch ms after which the executor is presumed dead and the key may be taken over. */
  readonly leaseUntil: number;
  readonly recovery?: RecoveryPoint;
  /** Epoch ms from which the completer may take the recovery point over. */
  readonly recoverAt?: number;
  /** The partition of the sparse index the completer finds recovery points through. */
  readonly recoveryShard?: string;
}

export interface CompletedRecord extends RecordBase {
  readonly status: 'COMPLETED';
  readonly completedAt: number;
  readonly response?: string;
  readonly responseGzip?: Uint8Array;
}

export type IdempotencyRecord = InProgressRecord | CompletedRecord;

/** What an existing record means for a request that could not claim its key. */
export type Verdict =
  | { readonly kind: 'absent' }
  /** `original` is the first request's answer once it has one. */
  | { readonly kind: 'fingerprint-mismatch'; readonly original?: StoredResponse }
  | { readonly kind: 'completed'; readonly response: StoredResponse }
  | { readonly kind: 'in-progress'; readonly leaseRemainingMs: number; readonly ageMs: number }
  | { readonly kind: 'lease-expired' };

export const hasExpired = (record: IdempotencyRecord, nowMs: number): boolean =>
  record.expiresAt !== undefined && record.expiresAt * 1000 <= nowMs;

export const classify = (record: IdempotencyRecord | undefined, fingerprint: string, nowMs: number): Verdict => {
  if (record === undefined || hasExpired(record, nowMs)) return { kind: 'absent' };
  if (record.fingerprint !== fingerprint) {
    return record.status === 'COMPLETED'
      ? { kind: 'fingerprint-mismatch', original: decodeResponse(record) }
      : { kind: 'fingerprint-mismatch' };
  }
  if (record.status === 'COMPLETED') return { kind: 'completed', response: decodeResponse(record) };
  if (record.leaseUntil <= nowMs) return { kind: 'lease-expired' };
  return { kind: 'in-progress', leaseRemainingMs: record.leaseUntil - nowMs, ageMs: nowMs - record.claimedAt };
};

/**
 * What a key's record says to its owner asking "did my request happen?", whatever request it
 * would be asked with: running now; stopped before an answer (its executor's lease ran out or it
 * was suspended), so a retry with the key resumes it and, for a recovery point, the completer
 * finishes it without one; answered; or unknown (never claimed, released, or expired). Times in
 * epoch milliseconds.
 */
export type KeyState =
  | { readonly kind: 'unknown' }
  | { readonly kind: 'in-progress'; readonly since: number; readonly expiresAt: number | undefined }
  | { readonly kind: 'in-recovery'; readonly since: number; readonly expiresAt: number | undefined }
  | { readonly kind: 'completed'; readonly since: number; readonly expiresAt: number | undefined; readonly response: StoredResponse };

export const keyStateOf = (record: IdempotencyRecord | undefined, nowMs: number): KeyState => {
  if (record === undefined || hasExpired(record, nowMs)) return { kind: 'unknown' };
  const expiresAt = record.expiresAt === undefined ? undefined : record.expiresAt * 1000;
  if (record.status === 'COMPLETED') return { kind: 'completed', since: record.claimedAt, expiresAt, response: decodeResponse(record) };
  const since = record.recovery?.since ?? record.claimedAt;
  return { kind: record.leaseUntil <= nowMs ? 'in-recovery' : 'in-progress', since, expiresAt };
};

/**
 * How long a client should wait before retrying a key that is in use: one second for a young
 * claim (most requests finish in milliseconds), growing with the claim's age, so clients back
 * off from an executor that is probably dead, but never past the moment its lease runs out.
 */
export const retryAfterSeconds = (verdict: { leaseRemainingMs: number; ageMs: number }): number =>
  Math.max(1, Math.min(Math.ceil(verdict.leaseRemainingMs / 1000), Math.ceil(verdict.ageMs / 1000)));

/**
 * Claim: the key is free when no record exists, when its TTL has passed (DynamoDB deletes
 * expired items lazily, up to days later; a recovery point has no TTL), or when an executor of
 * the same request let its lease run out. Evaluated atomically, so of two concurrent takeovers
 * only one wins.
 */
export const claimCondition = {
  expression:
    'attribute_not_exists(#pk) OR #expiresAt <= :nowSeconds OR (#status = :inProgress AND #leaseUntil <= :nowMs AND #fingerprint = :fingerprint)',
  names: { '#pk': 'pk', '#expiresAt': 'expiresAt', '#status': 'status', '#leaseUntil': 'leaseUntil', '#fingerprint': 'fingerprint' },
  values: (nowMs: number, fingerprint: string) => ({
    ':nowSeconds': Math.floor(nowMs / 1000),
    ':nowMs': nowMs,
    ':inProgress': 'IN_PROGRESS' satisfies RecordStatus,
    ':fingerprint': fingerprint,
  }),
} as const;

/** Complete, suspend and release: only the holder of the current claim may end it. */
export const holderCondition = {
  expression: '#status = :inProgress AND #token = :token',
  names: { '#status': 'status', '#token': 'token' },
  values: (token: string) => ({ ':inProgress': 'IN_PROGRESS' satisfies RecordStatus, ':token': token }),
} as const;
