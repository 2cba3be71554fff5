import type { RetrysafeEvent } from '../events/outbox.js';
import type { RouteInput } from '../http/api-route.js';
import { problem, problemResponse } from '../http/problem.js';
import { jsonResponse, type HttpResponse } from '../http/types.js';
import { withAtomicCommit } from '../idempotency/index.js';
import { newId, parseId } from '../shared/ids.js';
import { chargeNotFound } from './charge-responses.js';
import { replayFromGuard } from './key-guard.js';
import { refundEntries } from './ledger.js';
import type { PaymentsStore } from './payments-store.js';
import type { Refund } from './records.js';
import type { CreateRefundRequest } from './requests.js';

export interface RefundFlowDependencies {
  readonly store: PaymentsStore;
  readonly now: () => number;
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
 * POST /v1/charges/{id}/refunds. Concurrent refunds of one charge can never exceed it: the
 * commit decrements `amount_refundable` under the condition that enough remains, so of two
 * refunds racing for the last cent, one commits and the other is answered 400, with nothing
 * written. The refund's ledger entries, balance change, outbox event, key guard and the
 * COMPLETED idempotency record commit in the same transaction.
 */
export const createRefund = async (
  deps: RefundFlowDependencies,
  { body, tenant, event, idempotency }: RouteInput<CreateRefundRequest>,
): Promise<HttpResponse> => {
  if (idempotency === undefined)
    throw new Error('POST /v1/charges/{id}/refunds requires an Idempotency-Key; the route must be configured so');
  const { store } = deps;
  const rawId = event.pathParameters?.id ?? '';
  const chargeId = parseId('charge', rawId);
  if (chargeId === undefined) return chargeNotFound(rawId);

  const guard = await store.findKeyGuard(tenant, idempotency.key);
  if (guard !== undefined) return replayFromGuard(store, tenant, guard, idempotency, 'refund');

  const charge = await store.readCharge(tenant, chargeId);
  if (charge === undefined) return chargeNotFound(chargeId);
  if (charge.status !== 'succeeded') {
    return problemResponse(
      problem('charge-not-refundable', { detail: `Charge ${chargeId} is ${charge.status}; only succeeded charges can be refunded.` }),
    );
  }
  const refundable = charge.amount - charge.amount_refunded;
  const amount = body.amount ?? refundable;
  if (amount === 0 || amount > refundable) return tooLarge(amount, refundable);

  const nowMs = deps.now();
  const created = Math.floor(nowMs / 1000);
  const refund: Refund = {
    id: newId('refund', nowMs),
    object: 'refund',
    charge: chargeId,
    amount,
    currency: charge.currency,
    status: 'succeeded',
    created,
  };
  const refundEvent: RetrysafeEvent = {
    id: newId('event', nowMs),
    object: 'event',
    type: 'charge.refunded',
    created,
    data: { object: { ...refund } },
  };
  const writes = [
    store.refundableDecrement(tenant, chargeId, amount),
    store.refundPut(tenant, refund),
    ...store.ledgerAppends(
      refundEntries({
        id: newId('ledgerTransaction', nowMs),
        account: tenant,
        currency: charge.currency,
        amount,
        source: { kind: 'refund', id: refund.id, charge: chargeId },
        created,
      }),
    ),
    store.balanceUpdate(tenant, charge.currency, -amount),
    store.eventPut(tenant, refundEvent),
    store.keyGuardPut(tenant, idempotency, { kind: 'refund', id: refund.id, charge: chargeId }, nowMs),
  ];
  return withAtomicCommit(jsonResponse(201, refund), {
    writes,
    onRejected: ({ index, item: current }) => {
      if (index !== 0) throw new Error(`Refund write ${index} was rejected at commit`);
      return tooLarge(amount, typeof current?.amount_refundable === 'number' ? current.amount_refundable : 0);
    },
  });
};
