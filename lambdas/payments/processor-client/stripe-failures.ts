import Stripe from 'stripe';
import type { ProcessorRejected, ProcessorUnavailable, RefundRejection } from './card-processor.js';
import { unavailable } from './unavailable.js';

/**
 * What a failed Stripe call means to Retrysafe. Stripe's own rule (stripe-node's RequestSender
 * `_shouldRetry`) decides what is worth asking again: a connection failure, a 409, a 5xx, or any
 * answer carrying `Stripe-Should-Retry: true`; those are unavailable, and Retrysafe's caller
 * retries under the same key. Everything else is a final answer about the request.
 */

export type StripeFailure =
  | ProcessorUnavailable
  | { readonly kind: 'card'; readonly error: Stripe.errors.StripeCardError }
  | { readonly kind: 'refused'; readonly error: Stripe.errors.StripeError };

const headerOf = (error: Stripe.errors.StripeError, name: string): string | null => {
  const value: unknown = (error.headers as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : null;
};

const detailOf = (error: Stripe.errors.StripeError): string =>
  [error.statusCode === undefined ? undefined : `HTTP ${error.statusCode}`, error.rawType, error.code, error.message]
    .filter((part) => part !== undefined && part !== '')
    .join(': ');

/** The SDK reports its own timeout as a connection error whose cause has this code (stripe-node's HttpClient). */
const timeoutCode = 'ETIMEDOUT';

const connectionFailure = (error: Stripe.errors.StripeConnectionError): ProcessorUnavailable => {
  const cause: unknown = error.detail;
  const timedOut = typeof cause === 'object' && cause !== null && (cause as { code?: unknown }).code === timeoutCode;
  return unavailable(timedOut ? 'timeout' : 'network', error.message);
};

/** Undefined for anything that is no Stripe error: a bug of the adapter, rethrown. */
export const stripeFailureOf = (error: unknown): StripeFailure | undefined => {
  if (!(error instanceof Stripe.errors.StripeError)) return undefined;
  if (error instanceof Stripe.errors.StripeConnectionError) return connectionFailure(error);
  const retryAfter = headerOf(error, 'retry-after');
  const status = error.statusCode ?? 0;
  if (status === 409) return unavailable('conflict', detailOf(error), retryAfter);
  if (error instanceof Stripe.errors.StripeRateLimitError) return unavailable('throttled', detailOf(error), retryAfter);
  if (status >= 500 || headerOf(error, 'stripe-should-retry') === 'true') return unavailable('server-error', detailOf(error), retryAfter);
  // The account's key is wrong or lacks a permission: nothing about the request, so nothing final.
  if (error instanceof Stripe.errors.StripeAuthenticationError || error instanceof Stripe.errors.StripePermissionError) {
    return unavailable('server-error', detailOf(error), retryAfter);
  }
  if (error instanceof Stripe.errors.StripeCardError) return { kind: 'card', error };
  return { kind: 'refused', error };
};

export const isIdempotencyError = (error: Stripe.errors.StripeError): boolean => error.rawType === 'idempotency_error';

/** The Retrysafe request field a Stripe parameter stands for. */
const fieldOf = (param: string | undefined): string | undefined => {
  if (param === undefined) return undefined;
  if (param === 'payment_method' || param.startsWith('payment_method_data')) return 'source';
  return param.startsWith('metadata') ? 'metadata' : param;
};

export const rejectedBy = <Reason extends string>(reason: Reason, error: Stripe.errors.StripeError): ProcessorRejected<Reason> => {
  const field = fieldOf(error.param);
  return { kind: 'rejected', reason, detail: detailOf(error), ...(field === undefined ? {} : { field }) };
};

/** Stripe's refusal codes for a refund (docs.stripe.com/error-codes), in Retrysafe's words. */
export const refundRejectionOf = (error: Stripe.errors.StripeError): RefundRejection => {
  if (isIdempotencyError(error)) return 'idempotency-key-reused';
  switch (error.code) {
    case 'amount_too_large':
    case 'charge_already_refunded':
      return 'amount-too-large';
    case 'resource_missing':
      return error.param === 'payment_intent' ? 'charge-not-found' : 'invalid-request';
    case 'payment_intent_unexpected_state':
    case 'charge_not_refundable':
      return 'charge-not-refundable';
    default:
      return 'invalid-request';
  }
};
