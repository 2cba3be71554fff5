import type { RetrysafeEvent } from '../events/outbox.js';
import { problem, problemResponse } from '../http/problem.js';
import { jsonResponse, type HttpResponse } from '../http/types.js';
import type { ActiveIdempotency } from '../idempotency/index.js';
import { newId, type AccountId } from '../shared/ids.js';
import { answer, type Decision } from './decision.js';
import { answerFromRivalGuard, downstreamKey } from './key-guard.js';
import { refundEntries } from './ledger.js';
import type { PaymentsStore } from './payments-store.js';
import type { Charge, Refund } from './records.js';
import type { CreateRefundRequest } from './requests.js';

export interface RefundDecisionInput {
  /** The charge as just read: what it says is refundable is checked again, atomically, at commit. */
  readonly charge: Charge;
  readonly request: CreateRefundRequest;
  readonly tenant: AccountId;
  readonly idempotency: ActiveIdempotency;
  /** Epoch milliseconds: the new ids' time and the refund's `created`. */
  readonly nowMs: number;
}

const tooLarge = (requested: number, refundable: number): HttpResponse =>
  problemResponse(
    problem('amount-too-large', {
      detail:
        refundable === 0
          ? 'The charge has been refunded in full.'
          : `At most ${refundable} can still be refunded; ${requested} was requested.`,
      extensions: { field: 'amount', amount_refundable: refundable },
    }),
  );

/**
 * What a refund of a charge comes to. A refund of a failed charge, of nothing, or of more than
 * remains is answered 400 with nothing written. Otherwise the refund commits with the
 * conditional decrement of what remains refundable, the reversed ledger transaction, the
 * negative balance update, the outbox event and the key guard. The charge may have been
 * refunded concurrently since it was read: then the decrement's condition fails at commit,
 * nothing is written, and the answer is the same 400 with what actually remains.
 */
export const decideRefund = (store: PaymentsStore, { charge, request, tenant, idempotency, nowMs }: RefundDecisionInput): Decision => {
  if (charge.status !== 'succeeded') {
    return answer(
      problemResponse(
        problem('charge-not-refundable', { detail: `Charge ${charge.id} is ${charge.status}; only succeeded charges can be refunded.` }),
      ),
    );
  }
  const refundable = charge.amount - charge.amount_refunded;
  const amount = request.amount ?? refundable;
  if (amount === 0 || amount > refundable) return answer(tooLarge(amount, refundable));

  const created = Math.floor(nowMs / 1000);
  const refund: Refund = {
    id: newId('refund', nowMs),
    object: 'refund',
    charge: charge.id,
    amount,
    currency: charge.currency,
    status: 'succeeded',
    created,
  };
  const event: RetrysafeEvent = {
    id: newId('event', nowMs),
    object: 'event',
    type: 'charge.refunded',
    created,
    data: { object: { ...refund } },
  };
  const decrement = store.refundableDecrement(tenant, charge.id, amount);
  const response = jsonResponse(201, refund);
  const guard = store.keyGuardPut({
    tenant,
    key: downstreamKey(tenant, idempotency.key),
    fingerprint: idempotency.fingerprint,
    resource: { kind: 'refund', id: refund.id, charge: charge.id },
    answer: response,
    nowMs,
  });
  const writes = [
    decrement,
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
  const fromRivalGuard = answerFromRivalGuard(writes, guard, idempotency, 'refund');
  return {
    kind: 'commit',
    response,
    commit: {
      writes,
      onRejected: (rejected) =>
        writes[rejected.index] === decrement
          ? tooLarge(amount, typeof rejected.item?.amount_refundable === 'number' ? rejected.item.amount_refundable : 0)
          : fromRivalGuard(rejected),
    },
  };
};
