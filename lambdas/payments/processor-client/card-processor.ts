import type { Brand } from '../../shared/ids.js';

/**
 * What Retrysafe needs from a card processor, independent of which one: the sandbox today, a
 * Stripe adapter later. The caller derives the downstream idempotency key; an adapter only
 * forwards it, so a retry of the same charge or refund reaches the processor under the same key,
 * and a completer can later ask the processor what that key created.
 */
export type ProcessorChargeId = Brand<string, 'ProcessorChargeId'>;
export type ProcessorRefundId = Brand<string, 'ProcessorRefundId'>;
/** Where a listing continues: handed out with a page, passed back unread. */
export type ProcessorListCursor = Brand<string, 'ProcessorListCursor'>;

/** String pairs stored with a charge or refund (Stripe's limits: 50 keys, keys ≤ 40 and values ≤ 500 characters). */
export type ProcessorMetadata = Readonly<Record<string, string>>;

export interface ProcessorChargeRequest {
  /** Integer minor units. */
  readonly amount: number;
  /** Lowercase ISO 4217. */
  readonly currency: string;
  readonly source: string;
  readonly description?: string;
  readonly metadata?: ProcessorMetadata;
  readonly idempotencyKey: string;
}

export interface ProcessorRefundRequest {
  readonly processorChargeId: ProcessorChargeId;
  /** Integer minor units, in the charge's currency. */
  readonly amount: number;
  readonly metadata?: ProcessorMetadata;
  readonly idempotencyKey: string;
}

/**
 * Why the processor gave no final answer. In every case the charge or refund may or may not
 * exist at the processor (a timeout can hide a completed one), so the only safe follow-ups are a
 * retry with the same idempotency key after `retryAfterSeconds`, or asking under that key later.
 */
export type UnavailableReason =
  /** No complete response within the processor timeout: the lost-response case. */
  | 'timeout'
  /** The connection failed or broke. */
  | 'network'
  /** A 5xx, or a status that says the processor is misconfigured (401, 403, a 404 for a route). */
  | 'server-error'
  /** 429: the processor (or the function URL's concurrency) is shedding load. */
  | 'throttled'
  /** 409: a request with the same key was still in progress. */
  | 'conflict'
  /** A success status whose body is not what the call answers. */
  | 'invalid-response';

export interface ProcessorUnavailable {
  readonly kind: 'unavailable';
  readonly reason: UnavailableReason;
  readonly retryAfterSeconds: number;
  /** For logs: what was observed, e.g. "HTTP 503" or "no response within 5000 ms". */
  readonly detail: string;
}

/** The processor refused the request itself; nothing was created and a retry gets the same answer. */
export interface ProcessorRejected<Reason extends string> {
  readonly kind: 'rejected';
  readonly reason: Reason;
  readonly detail: string;
  /** The request field at fault, when the processor names one (e.g. `source` for an unknown token). */
  readonly field?: string;
}

export type ProcessorChargeOutcome =
  | { readonly kind: 'succeeded'; readonly processorChargeId: ProcessorChargeId; readonly replayed: boolean }
  | {
      readonly kind: 'declined';
      readonly processorChargeId: ProcessorChargeId;
      readonly declineCode: string;
      readonly replayed: boolean;
    }
  | ProcessorRejected<'invalid-request' | 'idempotency-key-reused'>
  | ProcessorUnavailable;

export type RefundRejection =
  /** More than the charge has left to refund, possibly because a concurrent refund took it. */
  | 'amount-too-large'
  | 'charge-not-found'
  /** The charge did not succeed (it was declined), so there is nothing to refund. */
  | 'charge-not-refundable'
  | 'idempotency-key-reused'
  | 'invalid-request';

export type ProcessorRefundOutcome =
  | { readonly kind: 'succeeded'; readonly processorRefundId: ProcessorRefundId; readonly replayed: boolean }
  | ProcessorRejected<RefundRejection>
  | ProcessorUnavailable;

/** A charge as the processor holds it now. */
export type ProcessorChargeSnapshot = {
  readonly id: ProcessorChargeId;
  readonly amount: number;
  readonly currency: string;
  /** What refunds have returned so far. */
  readonly amountRefunded: number;
  /** The card token charged, and the description sent, if any: with amount, currency and metadata, the request that made it. */
  readonly source: string;
  readonly description: string | null;
  readonly metadata: ProcessorMetadata;
  /** The key the charge was created under. */
  readonly idempotencyKey: string;
  readonly createdAtMs: number;
} & ({ readonly status: 'succeeded' } | { readonly status: 'declined'; readonly declineCode: string });

/** A refund as the processor holds it; a refund the processor refused is never one. */
export interface ProcessorRefundSnapshot {
  readonly id: ProcessorRefundId;
  readonly processorChargeId: ProcessorChargeId;
  readonly amount: number;
  readonly currency: string;
  readonly status: 'succeeded';
  readonly metadata: ProcessorMetadata;
  readonly idempotencyKey: string;
  readonly createdAtMs: number;
}

/**
 * What a key created at the processor. `absent` is conclusive: the processor answered, and
 * nothing exists or will exist under the key (never used, refused, or failed without moving
 * money). A request still in progress under the key is unavailable(conflict), never absent.
 */
export type ProcessorLookup<T> = { readonly kind: 'found'; readonly object: T } | { readonly kind: 'absent' } | ProcessorUnavailable;

export interface ProcessorListQuery {
  /** Epoch milliseconds: only objects created at or after it. */
  readonly since?: number;
  /** Continue after the page that handed this out. */
  readonly cursor?: ProcessorListCursor;
  readonly limit: number;
}

/** One page, oldest first; `nextCursor` is there exactly when more follow. */
export interface ProcessorPage<T> {
  readonly kind: 'page';
  readonly objects: readonly T[];
  readonly nextCursor: ProcessorListCursor | undefined;
}

/**
 * Every method resolves with an outcome for anything the processor or the network did; it
 * rejects only when `signal` aborts (with its reason) or the adapter itself is misconfigured.
 */
export interface CardProcessor {
  charge(request: ProcessorChargeRequest, signal?: AbortSignal): Promise<ProcessorChargeOutcome>;
  refund(request: ProcessorRefundRequest, signal?: AbortSignal): Promise<ProcessorRefundOutcome>;
  /** The charge created under `idempotencyKey`, as it stands now. */
  findCharge(idempotencyKey: string, signal?: AbortSignal): Promise<ProcessorLookup<ProcessorChargeSnapshot>>;
  /** The refund created under `idempotencyKey`. */
  findRefund(idempotencyKey: string, signal?: AbortSignal): Promise<ProcessorLookup<ProcessorRefundSnapshot>>;
  listCharges(query: ProcessorListQuery, signal?: AbortSignal): Promise<ProcessorPage<ProcessorChargeSnapshot> | ProcessorUnavailable>;
  listRefunds(query: ProcessorListQuery, signal?: AbortSignal): Promise<ProcessorPage<ProcessorRefundSnapshot> | ProcessorUnavailable>;
}
