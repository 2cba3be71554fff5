import type Stripe from 'stripe';
import { downstreamKeyNamedBy, sourceNamedBy } from '../processor-metadata.js';
import type {
  ProcessorChargeId,
  ProcessorChargeOutcome,
  ProcessorChargeSnapshot,
  ProcessorRefundId,
  ProcessorRefundSnapshot,
  ProcessorUnavailable,
} from './card-processor.js';
import { unavailable } from './unavailable.js';

/**
 * Stripe's PaymentIntents and Refunds in Retrysafe's vocabulary. Only PaymentIntents that
 * Retrysafe made carry the metadata a snapshot needs (the downstream key and the token charged);
 * the others are reported under an empty key, which the reconciler classifies as foreign.
 */

/**
 * Stripe's decline code for a card that needs 3-D Secure. Retrysafe cannot run the customer's
 * authentication server-side, so such a charge fails with this code; it is never a success.
 */
export const authenticationRequired = 'authentication_required';

/** What a PaymentIntent's confirmation came to, or undefined while it is not final. */
type Settled = { readonly status: 'succeeded' } | { readonly status: 'declined'; readonly declineCode: string };

const declineCodeOf = (intent: Stripe.PaymentIntent): string => {
  const error = intent.last_payment_error;
  return error?.decline_code ?? error?.code ?? 'generic_decline';
};

const settledOf = (intent: Stripe.PaymentIntent): Settled | undefined => {
  switch (intent.status) {
    case 'succeeded':
      return { status: 'succeeded' };
    // After a confirmation: the card was declined, and the intent waits for another card it will never get.
    case 'requires_payment_method':
      return { status: 'declined', declineCode: declineCodeOf(intent) };
    // Only if error_on_requires_action was ignored: the customer would have to authenticate, and cannot.
    case 'requires_action':
      return { status: 'declined', declineCode: authenticationRequired };
    case 'canceled':
      return { status: 'declined', declineCode: intent.cancellation_reason ?? 'canceled' };
    default:
      return undefined;
  }
};

export const chargeOutcomeOfIntent = (intent: Stripe.PaymentIntent, replayed: boolean): ProcessorChargeOutcome => {
  const settled = settledOf(intent);
  if (settled === undefined) return unavailable('invalid-response', `PaymentIntent ${intent.id} is ${intent.status} after confirmation`);
  const processorChargeId = intent.id as ProcessorChargeId;
  return settled.status === 'succeeded'
    ? { kind: 'succeeded', processorChargeId, replayed }
    : { kind: 'declined', processorChargeId, declineCode: settled.declineCode, replayed };
};

const metadataOf = (metadata: Stripe.Metadata | null): Readonly<Record<string, string>> => metadata ?? {};

/** Stripe counts time in seconds; the snapshot in milliseconds. */
const createdAtMs = (created: number): number => created * 1000;

const amountRefundedOf = (intent: Stripe.PaymentIntent): number => {
  const charge = intent.latest_charge;
  return typeof charge === 'object' && charge !== null ? charge.amount_refunded : 0;
};

export const chargeSnapshotOf = (intent: Stripe.PaymentIntent): ProcessorChargeSnapshot | ProcessorUnavailable => {
  const settled = settledOf(intent);
  if (settled === undefined) return unavailable('conflict', `PaymentIntent ${intent.id} is ${intent.status}: not settled yet`);
  const metadata = metadataOf(intent.metadata);
  return {
    id: intent.id as ProcessorChargeId,
    amount: intent.amount,
    currency: intent.currency,
    amountRefunded: amountRefundedOf(intent),
    source: sourceNamedBy(metadata) ?? (typeof intent.payment_method === 'string' ? intent.payment_method : ''),
    description: intent.description,
    metadata,
    idempotencyKey: downstreamKeyNamedBy(metadata) ?? '',
    createdAtMs: createdAtMs(intent.created),
    ...settled,
  };
};

/**
 * A pending card refund is as good as done: Stripe has taken the money back from the balance
 * and only the card network has yet to post it. A failed or canceled one moved nothing.
 */
export const refundStands = (refund: Stripe.Refund): boolean => refund.status === 'succeeded' || refund.status === 'pending';

export const refundSnapshotOf = (refund: Stripe.Refund): ProcessorRefundSnapshot => {
  const metadata = metadataOf(refund.metadata);
  const intent = refund.payment_intent;
  return {
    id: refund.id as ProcessorRefundId,
    processorChargeId: (typeof intent === 'string' ? intent : (intent?.id ?? '')) as ProcessorChargeId,
    amount: refund.amount,
    currency: refund.currency,
    status: 'succeeded',
    metadata,
    idempotencyKey: downstreamKeyNamedBy(metadata) ?? '',
    createdAtMs: createdAtMs(refund.created),
  };
};
