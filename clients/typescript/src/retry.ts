import type { ProblemSlug } from './problems.js';

export interface RetryOptions {
  /** First backoff ceiling; the n-th retry waits up to base·2ⁿ. Default 500 ms. */
  readonly baseDelayMs?: number;
  /** Largest backoff ceiling. Default 20 s. */
  readonly maxDelayMs?: number;
  /** No attempt starts after this long since the first; the last error is then thrown. Default 60 s. */
  readonly maxElapsedMs?: number;
  /** Each attempt is abandoned (and retried) after this long. Default 30 s. */
  readonly attemptTimeoutMs?: number;
}

export type RetryPolicy = Required<RetryOptions>;

export const defaultRetryPolicy: RetryPolicy = {
  baseDelayMs: 500,
  maxDelayMs: 20_000,
  maxElapsedMs: 60_000,
  attemptTimeoutMs: 30_000,
};

/**
 * Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): a uniform draw under an
 * exponentially growing ceiling spreads the retries of many clients that failed together, where
 * a fixed or equal-jitter delay would bring them back together. `retry` counts from 0.
 */
export const fullJitterDelayMs = (retry: number, policy: RetryPolicy, random: () => number): number =>
  random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);

/** Retry-After (RFC 9110 §10.2.3) in milliseconds from `nowMs`: delay-seconds or an HTTP-date; undefined when absent or malformed. */
export const parseRetryAfterMs = (value: string | null, nowMs: number): number | undefined => {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  if (!/[a-z]/i.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
};

/** What one attempt ended with, as far as deciding on a retry goes. */
export type AttemptOutcome =
  | { readonly kind: 'network' }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'problem'; readonly status: number; readonly slug: ProblemSlug; readonly shouldRetryHeader: string | null };

/** Statuses that say "the same request may succeed later"; the server's header overrides them. */
const transientStatuses: ReadonlySet<number> = new Set([429, 503]);

/**
 * Whether to try again. Retrying is safe whatever the outcome, because every attempt of a POST
 * carries the same Idempotency-Key and body; the question is only whether it can help. A lost
 * connection or timeout may have hidden a success, which the retry then replays. The server's
 * Retrysafe-Should-Retry header knows best (like Stripe-Should-Retry) and wins over the status.
 */
export const shouldRetry = (outcome: AttemptOutcome): boolean => {
  if (outcome.kind !== 'problem') return true;
  const header = outcome.shouldRetryHeader?.trim().toLowerCase();
  if (header === 'true') return true;
  if (header === 'false') return false;
  return transientStatuses.has(outcome.status) || (outcome.status === 409 && outcome.slug === 'idempotency-key-in-use');
};
