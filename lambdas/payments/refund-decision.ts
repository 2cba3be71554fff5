import type { EventTrail, RetrysafeEvent } from '../events/outbox.js';
import { problem, problemResponse } from '../http/problem.js';
import { jsonResponse, type HttpResponse } from '../http/types.js';
import { newId, type AccountId } from '../shared/ids.js';
import { answer, type Decision } from './decision.js';
import { answerFromRivalGuard, type RequestIdentity } from './key-guard.js';
import { refundEntries } from './ledger.js';
import type { PaymentsStore } from './payments-store.js';
import type { ProcessorRefundId, ProcessorRefundOutcome } from './processor-client/card-processor.js';
import type { Charge, Refund } from './records.js';
import type { CreateRefundRequest } from './requests.js';

/** `refundable` is what remains as the charge was read; absent when a concurrent refund changed it since. */
const tooLarge = (requested: number, refundable?: number): HttpResponse =>
  problemResponse(
    problem('amount-too-large', {
      detail:
        refundable === undefined
          ? `A concurrent refund took what remained; ${requested} can no longer be refunded.`
          : refundable === 0
            ? 'The charge has been refunded in full.'
            : `At most ${refundable} can still be refunded; ${requested} was requested.`,
      extensions: { field: 'amount', ...(refundable === undefined ? {} : { amount_refundable: refundable }) },
    }),
  );

const notRefundable = (charge: Charge): HttpResponse =>
  problemResponse(
    problem('charge-not-refundable', { detail: `Charge ${charge.id} is ${charge.status}; only succeeded charges can be refunded.` }),
  );

/** What to ask the processor for, or the refusal when there is nothing to ask: decided from the charge as just read. */
export type RefundPlan =
  { readonly kind: 'refuse'; readonly response: HttpResponse } | { readonly kind: 'refund'; readonly amount: number };

/**
 * A refund of a failed charge, of nothing, or of more than remains is refused here, before the
 * processor is asked. A refund that passes may still be refused by the processor: a concurrent
 * refund may have taken the amount since the charge was read, and the processor's own bound is
 * the one that holds money back.
 */
export const planRefund = (charge: Charge, request: CreateRefundRequest): RefundPlan => {
  if (charge.status !== 'succeeded') return { kind: 'refuse', response: notRefundable(charge) };
  const refundable = charge.amount - charge.amount_refunded;
  const amount = request.amount ?? refundable;
  return amount === 0 || amount > refundable ? { kind: 'refuse', response: tooLarge(amount, refundable) } : { kind: 'refund', amount };
};

export interface RefundDecisionInput {
  readonly outcome: ProcessorRefundOutcome;
  readonly charge: Charge;
  readonly amount: number;
  readonly tenant: AccountId;
  /** The request's downstream key and fingerprint, which its key guard keeps. */
  readonly identity: RequestIdentity;
  /** Epoch milliseconds: the new ids' time and the refund's `created`. */
  readonly nowMs: number;
  /** The request its event names as its origin. */
  readonly trail: EventTrail;
}

/**
 * What a refund comes to once the processor has answered:
 *
 *   succeeded    the refund, what it takes off its charge, the reversed ledger transaction, the
 *                negative balance update, the outbox event and the key guard, answered 201. The
 *                charge's refundable amount is taken down without a condition: the processor
 *                has already moved the money, and a record that disagreed with it would be the
 *                thing to report (reconciliation does), not a reason to lose the refund
 *   rejected     nothing was refunded and nothing is written: the refusal, answered 400
 *   unavailable  nothing is known yet: a 503; the key's recovery point stays, and the retry (or
 *                the completer) asks the processor again under the same downstream key
 */
export const decideRefund = (store: PaymentsStore, input: RefundDecisionInput): Decision => {
  const { outcome } = input;
  switch (outcome.kind) {
    case 'unavailable':
      return answer(problemResponse(problem('processor-unavailable', { headers: { 'Retry-After': String(outcome.retryAfterSeconds) } })));
    case 'rejected':
      return answer(refusal(outcome, input));
    case 'succeeded':
      return recordRefund(store, outcome.processorRefundId, input);
  }
};

const refusal = (outcome: Extract<ProcessorRefundOutcome, { kind: 'rejected' }>, { charge, amount, identity }: RefundDecisionInput) => {
  switch (outcome.reason) {
    case 'amount-too-large':
      return tooLarge(amount);
    case 'charge-not-refundable':
      return notRefundable(charge);
    case 'invalid-request':
      return problemResponse(problem('validation-error', { detail: outcome.detail }));
    case 'charge-not-found':
    case 'idempotency-key-reused':
      // Both the charge and the key are Retrysafe's own: the processor's records disagree with ours.
      throw new Error(`The processor refused refund ${identity.downstreamKey} (${outcome.reason}): ${outcome.detail}`);
  }
};

const recordRefund = (
  store: PaymentsStore,
  processorRefundId: ProcessorRefundId,
  { charge, amount, tenant, identity, nowMs, trail }: RefundDecisionInput,
): Decision => {
  const created = Math.floor(nowMs / 1000);
  const refund: Refund = {
    id: newId('refund', nowMs),
    object: 'refund',
    charge: charge.id,
    amount,
    currency: charge.currency,
    status: 'succeeded',
    created,
    processor_refund_id: processorRefundId,
  };
  const event: RetrysafeEvent = {
    id: newId('event', nowMs),
    object: 'event',
    type: 'charge.refunded',
    created,
    data: { object: { ...refund } },
    request: trail,
  };
  const response = jsonResponse(201, refund);
  const guard = store.keyGuardPut({
    tenant,
    key: identity.downstreamKey,
    fingerprint: identity.fingerprint,
    resource: { kind: 'refund', id: refund.id, charge: charge.id },
    answer: response,
    nowMs,
  });
  const writes = [
    store.refundApplied(tenant, charge.id, amount),
    store.refundPut(tenant, refund),
    ...store.ledgerAppends(
      refundEntries({
        id: newId('ledgerTransaction', nowMs),
        account: tenant,
        currency: charge.currency,
        amount,
        source: { kind: 'refund', id: refund.id, charge: charge.id },
        created,
      }),
    ),
    store.balanceUpdate(tenant, charge.currency, -amount),
    store.eventPut(tenant, event),
    guard,
  ];
  return { kind: 'commit', response, commit: { writes, onRejected: answerFromRivalGuard(writes, guard, identity, 'refund') } };
};
