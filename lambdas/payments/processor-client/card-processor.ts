import type { Brand } from '../../shared/ids.js';

/**
 * What Retrysafe needs from a card processor, independent of which one: the sandbox today, a
 * Stripe adapter later. The caller derives the downstream idempotency key; an adapter only
 * forwards it, so a retry of the same charge reaches the processor under the same key.
 */
export type ProcessorChargeId = Brand<string, 'ProcessorChargeId'>;

export interface ProcessorChargeRequest {
  /** Integer minor units. */
  readonly amount: number;
  /** Lowercase ISO 4217. */
  readonly currency: string;
  readonly source: string;
  readonly description?: string;
  readonly idempotencyKey: string;
}

/**
 * Why the processor gave no final answer. In every case the charge may or may not exist at
 * the processor (a timeout can hide a completed charge), so the only safe follow-up is a retry
 * with the same idempotency key after `retryAfterSeconds`.
 */
export type UnavailableReason =
  /** No complete response within the processor timeout: the lost-response case. */
  | 'timeout'
  /** The connection failed or broke. */
  | 'network'
  /** A 5xx, or a status that says the processor is misconfigured (401, 403, 404). */
  | 'server-error'
  /** 429: the processor (or the function URL's concurrency) is shedding load. */
  | 'throttled'
  /** 409: another request with the same key was still in progress. */
  | 'conflict'
  /** A success or decline status whose body is not a charge. */
  | 'invalid-response';

export type ProcessorChargeOutcome =
  | { readonly kind: 'succeeded'; readonly processorChargeId: ProcessorChargeId; readonly replayed: boolean }
  | {
      readonly kind: 'declined';
      readonly processorChargeId: ProcessorChargeId;
      readonly declineCode: string;
      readonly replayed: boolean;
    }
  /** The processor refused the request itself; nothing was charged and a retry gets the same answer. */
  | {
      readonly kind: 'rejected';
      readonly reason: 'invalid-request' | 'idempotency-key-reused';
      readonly detail: string;
      /** The request field at fault, when the processor names one (e.g. `source` for an unknown token). */
      readonly field?: string;
    }
  | {
      readonly kind: 'unavailable';
      readonly reason: UnavailableReason;
      readonly retryAfterSeconds: number;
      /** For logs: what was observed, e.g. "HTTP 503" or "no response within 5000 ms". */
      readonly detail: string;
    };

export interface CardProcessor {
  /**
   * Resolves with an outcome for anything the processor or the network did; rejects only when
   * `signal` aborts (with its reason) or the adapter itself is misconfigured.
   */
  charge(request: ProcessorChargeRequest, signal?: AbortSignal): Promise<ProcessorChargeOutcome>;
}
