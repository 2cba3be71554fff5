import type Stripe from 'stripe';
import { downstreamKeyMetadataKey, downstreamKeyNamedBy, withKeyMetadata } from '../processor-metadata.js';
import type {
  CardProcessor,
  ProcessorChargeId,
  ProcessorChargeOutcome,
  ProcessorChargeRequest,
  ProcessorChargeSnapshot,
  ProcessorListQuery,
  ProcessorLookup,
  ProcessorPage,
  ProcessorRefundId,
  ProcessorRefundOutcome,
  ProcessorRefundRequest,
  ProcessorRefundSnapshot,
  ProcessorUnavailable,
} from './card-processor.js';
import { isIdempotencyError, refundRejectionOf, rejectedBy, type StripeFailure, stripeFailureOf } from './stripe-failures.js';
import { type ListCall, type ListParams, pageOldestFirst, scanRecent } from './stripe-listing.js';
import { chargeOutcomeOfIntent, chargeSnapshotOf, refundSnapshotOf, refundStands } from './stripe-objects.js';
import { unavailable } from './unavailable.js';

/**
 * Retrysafe's card processor on Stripe, through the official SDK: a charge is a PaymentIntent
 * created and confirmed in one call, a refund a Refund, each under Retrysafe's downstream key as
 * Stripe's Idempotency-Key and with that key in its metadata, where look-ups find it after
 * Stripe has pruned the key (24 hours).
 */
export interface StripeProcessorOptions {
  /** Built with `stripeSdkConfig`: the SDK never retries on its own. */
  readonly stripe: Stripe;
  /** Stripe's clock, near enough: where look-up windows start. */
  readonly now?: () => number;
  /**
   * How far back a look-up lists PaymentIntents after Search found nothing. Search is eventually
   * consistent: usually within a minute, up to an hour in an incident (docs.stripe.com/search).
   */
  readonly searchLagMs?: number;
  /** Refunds cannot be searched: a look-up lists this far back, beyond any recovery point's life (IDEMPOTENCY_TTL_SECONDS). */
  readonly refundLookbackMs?: number;
  /** Pages of 100 a look-up lists at most before it answers unavailable rather than a guess. */
  readonly scanPages?: number;
}

const hourMs = 3_600_000;

/**
 * The SDK's settings. `maxNetworkRetries: 0`: the SDK sleeps between its retries, and neither
 * its sleeps nor its requests heed the request's deadline (lambdas/http/deadline.ts), so it
 * would spend the time the request needs to answer 503 and end its claim cleanly. Retrysafe
 * retries instead, under the same key: the client told to (Retrysafe-Should-Retry), the
 * completer, the reconciler. The SDK still retries a connection closed before any answer once,
 * under the same key, which Stripe deduplicates.
 */
export const stripeSdkConfig = (timeoutMs: number): Stripe.StripeConfig => ({
  maxNetworkRetries: 0,
  timeout: timeoutMs,
  appInfo: { name: 'Retrysafe' },
});

/** Settles with `work`, or rejects with the signal's reason once it aborts; the request itself runs on, its answer unread. */
const unlessAborted = <T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> => {
  if (signal === undefined) return work;
  signal.throwIfAborted();
  const aborted = new Promise<never>((_, reject) => {
    signal.addEventListener(
      'abort',
      () => {
        reject(signal.reason as Error);
      },
      { once: true },
    );
  });
  return Promise.race([work, aborted]);
};

/** Runs one or more SDK calls; a Stripe error becomes a failure, anything else (a bug) rethrows. */
const attempt = async <T>(work: () => Promise<T>, signal: AbortSignal | undefined): Promise<T | StripeFailure> => {
  try {
    return await unlessAborted(work(), signal);
  } catch (error) {
    signal?.throwIfAborted();
    const failure = stripeFailureOf(error);
    if (failure === undefined) throw error;
    return failure;
  }
};

// What an attempt's work returns never has a `kind`: Stripe objects, lists and pages do not.
const isFailure = (result: unknown): result is StripeFailure => typeof result === 'object' && result !== null && 'kind' in result;

/** Card errors only come from confirming a charge; anywhere else Stripe refused the request. */
const asRefusal = (failure: StripeFailure): ProcessorUnavailable | Stripe.errors.StripeError =>
  failure.kind === 'unavailable' ? failure : failure.error;

const replayedOf = (headers: Readonly<Record<string, unknown>> | undefined): boolean => headers?.['idempotent-replayed'] === 'true';

/** A PaymentMethod (`pm_…`) is confirmed as is; a card token (`tok_…`) through payment_method_data, which turns it into one. */
const paymentMethodParams = (source: string): Partial<Stripe.PaymentIntentCreateParams> =>
  source.startsWith('pm_')
    ? { payment_method: source }
    : // The SDK's types omit `card` here; Stripe takes a token in it for backwards compatibility.
      ({ payment_method_data: { type: 'card', card: { token: source } } } as unknown as Partial<Stripe.PaymentIntentCreateParams>);

const chargeFailureOutcome = (failure: StripeFailure): ProcessorChargeOutcome => {
  switch (failure.kind) {
    case 'unavailable':
      return failure;
    case 'card': {
      const { error } = failure;
      // A card error without a PaymentIntent: the token itself was refused before any charge.
      if (error.payment_intent === undefined) return rejectedBy('invalid-request', error);
      return {
        kind: 'declined',
        processorChargeId: error.payment_intent.id as ProcessorChargeId,
        declineCode: error.decline_code !== '' ? error.decline_code : (error.code ?? 'generic_decline'),
        replayed: replayedOf(error.headers),
      };
    }
    case 'refused':
      return rejectedBy(isIdempotencyError(failure.error) ? 'idempotency-key-reused' : 'invalid-request', failure.error);
  }
};

const refundFailureOutcome = (failure: StripeFailure): ProcessorRefundOutcome =>
  failure.kind === 'unavailable' ? failure : rejectedBy(refundRejectionOf(failure.error), failure.error);

/** Search's query language quotes with ' and escapes with \. */
const quoted = (value: string): string => `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;

const keyIs =
  (key: string) =>
  (object: { readonly metadata: Stripe.Metadata | null }): boolean =>
    object.metadata !== null && downstreamKeyNamedBy(object.metadata) === key;

const exhausted = (what: string): ProcessorUnavailable =>
  unavailable('server-error', `${what} not found by Search, and too many made recently to list them all: ask again later`);

export const stripeProcessorClient = (options: StripeProcessorOptions): CardProcessor => {
  const { stripe } = options;
  const now = options.now ?? Date.now;
  const searchLagMs = options.searchLagMs ?? hourMs;
  const refundLookbackMs = options.refundLookbackMs ?? 48 * hourMs;
  const scanPages = options.scanPages ?? 10;

  // Every PaymentIntent read comes with its charge, which holds the amount refunded.
  const listIntents: ListCall<Stripe.PaymentIntent> = (params: ListParams) =>
    stripe.paymentIntents.list({ ...params, expand: ['data.latest_charge'] });
  const listRefunds: ListCall<Stripe.Refund> = (params: ListParams) => stripe.refunds.list(params);

  const charge = async (request: ProcessorChargeRequest, signal?: AbortSignal): Promise<ProcessorChargeOutcome> => {
    const { amount, currency, source, description, metadata, idempotencyKey } = request;
    const result = await attempt(
      () =>
        stripe.paymentIntents.create(
          {
            amount,
            currency,
            confirm: true,
            // Confirmed here, with no customer to redirect: methods that would need a return_url are excluded.
            automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
            // Fails the attempt instead of leaving it for a 3-D Secure challenge nobody can answer server-side.
            error_on_requires_action: true,
            ...paymentMethodParams(source),
            ...(description === undefined ? {} : { description }),
            metadata: withKeyMetadata(metadata, idempotencyKey, source),
          },
          { idempotencyKey },
        ),
      signal,
    );
    if (isFailure(result)) return chargeFailureOutcome(result);
    return chargeOutcomeOfIntent(result, replayedOf(result.lastResponse.headers));
  };

  const refund = async (request: ProcessorRefundRequest, signal?: AbortSignal): Promise<ProcessorRefundOutcome> => {
    const { processorChargeId, amount, metadata, idempotencyKey } = request;
    const result = await attempt(
      () =>
        stripe.refunds.create(
          { payment_intent: processorChargeId, amount, metadata: withKeyMetadata(metadata, idempotencyKey) },
          { idempotencyKey },
        ),
      signal,
    );
    if (isFailure(result)) return refundFailureOutcome(result);
    if (!refundStands(result)) {
      return {
        kind: 'rejected',
        reason: 'invalid-request',
        detail: `Stripe answered refund ${result.id} ${result.status ?? 'without a status'}`,
      };
    }
    return { kind: 'succeeded', processorRefundId: result.id as ProcessorRefundId, replayed: replayedOf(result.lastResponse.headers) };
  };

  const findCharge = async (key: string, signal?: AbortSignal): Promise<ProcessorLookup<ProcessorChargeSnapshot>> => {
    const found = await attempt(async () => {
      const searched = await stripe.paymentIntents.search({
        query: `metadata[${quoted(downstreamKeyMetadataKey)}]:${quoted(key)}`,
        expand: ['data.latest_charge'],
      });
      const matching = searched.data.filter(keyIs(key));
      if (matching.length > 0) return matching;
      const recent = await scanRecent(listIntents, { sinceMs: now() - searchLagMs, maxPages: scanPages, matches: keyIs(key) });
      return recent === undefined || recent === 'exhausted' ? recent : [recent];
    }, signal);
    if (isFailure(found)) return asLookupFailure(found);
    if (found === 'exhausted') return exhausted(`A PaymentIntent under ${key} was`);
    const [intent, ...others] = found ?? [];
    if (intent === undefined) return { kind: 'absent' };
    if (others.length > 0) return unavailable('invalid-response', `${found?.length ?? 0} PaymentIntents carry the key ${key}`);
    const snapshot = chargeSnapshotOf(intent);
    return 'kind' in snapshot ? snapshot : { kind: 'found', object: snapshot };
  };

  const findRefund = async (key: string, signal?: AbortSignal): Promise<ProcessorLookup<ProcessorRefundSnapshot>> => {
    const found = await attempt(
      () => scanRecent(listRefunds, { sinceMs: now() - refundLookbackMs, maxPages: scanPages, matches: keyIs(key) }),
      signal,
    );
    if (isFailure(found)) return asLookupFailure(found);
    if (found === 'exhausted') return exhausted(`A refund under ${key} was`);
    // A refund that failed moved no money: nothing exists under the key.
    return found === undefined || !refundStands(found) ? { kind: 'absent' } : { kind: 'found', object: refundSnapshotOf(found) };
  };

  const listCharges = async (
    query: ProcessorListQuery,
    signal?: AbortSignal,
  ): Promise<ProcessorPage<ProcessorChargeSnapshot> | ProcessorUnavailable> => {
    const page = await attempt(() => pageOldestFirst(listIntents, query), signal);
    if (isFailure(page)) return asLookupFailure(page);
    const objects: ProcessorChargeSnapshot[] = [];
    for (const intent of page.objects) {
      const snapshot = chargeSnapshotOf(intent);
      if (!('kind' in snapshot)) objects.push(snapshot);
      // One of Retrysafe's still being confirmed holds the walk; another client's unconfirmed intent is no charge.
      else if (downstreamKeyNamedBy(intent.metadata) !== undefined) return snapshot;
    }
    return { kind: 'page', objects, nextCursor: page.nextCursor };
  };

  const listRefundPage = async (
    query: ProcessorListQuery,
    signal?: AbortSignal,
  ): Promise<ProcessorPage<ProcessorRefundSnapshot> | ProcessorUnavailable> => {
    const page = await attempt(() => pageOldestFirst(listRefunds, query), signal);
    if (isFailure(page)) return asLookupFailure(page);
    return { kind: 'page', objects: page.objects.filter(refundStands).map(refundSnapshotOf), nextCursor: page.nextCursor };
  };

  return { charge, refund, findCharge, findRefund, listCharges, listRefunds: listRefundPage };
};

/** A read Stripe refused is no answer about the key: the adapter asked wrongly, or the account cannot read. */
const asLookupFailure = (failure: StripeFailure): ProcessorUnavailable => {
  const refusal = asRefusal(failure);
  return 'kind' in refusal ? refusal : unavailable('server-error', `Stripe refused a read: ${refusal.message}`);
};
