import type { RouteInput } from '../http/api-route.js';
import type { CommittableResponse } from '../idempotency/index.js';
import { parseId } from '../shared/ids.js';
import { chargeNotFound } from './charge-responses.js';
import { decidedResponse } from './decision.js';
import { downstreamKey, replayFromGuard } from './key-guard.js';
import type { PaymentsStore } from './payments-store.js';
import { decideRefund } from './refund-decision.js';
import type { CreateRefundRequest } from './requests.js';

export interface RefundFlowDependencies {
  readonly store: PaymentsStore;
  readonly now: () => number;
}

/**
 * POST /v1/charges/{id}/refunds: a late retry is answered from its key guard; otherwise the
 * charge is read and decideRefund (refund-decision.ts) says what the refund comes to. Its writes
 * commit in one TransactWriteItems with the COMPLETED idempotency record, the decrement of what
 * remains refundable conditional, so concurrent refunds can never exceed the charge.
 */
export const createRefund = async (
  deps: RefundFlowDependencies,
  { body, tenant, event, idempotency }: RouteInput<CreateRefundRequest>,
): Promise<CommittableResponse> => {
  if (idempotency === undefined)
    throw new Error('POST /v1/charges/{id}/refunds requires an Idempotency-Key; the route must be configured so');
  const { store } = deps;
  const rawId = event.pathParameters?.id ?? '';
  const chargeId = parseId('charge', rawId);
  if (chargeId === undefined) return chargeNotFound(rawId);

  const guard = await store.findKeyGuard(tenant, downstreamKey(tenant, idempotency.key));
  if (guard !== undefined) return replayFromGuard(guard, idempotency, 'refund');

  const charge = await store.readCharge(tenant, chargeId);
  if (charge === undefined) return chargeNotFound(chargeId);
  return decidedResponse(decideRefund(store, { charge, request: body, tenant, idempotency, nowMs: deps.now() }));
};
