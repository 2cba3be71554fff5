import type { CommittableResponse } from '@retrysafe/idempotency';
import type { RouteInput } from '../http/api-route.js';
import { requestTrail } from '../events/outbox.js';
import { addRequestLogContext } from '../shared/request-log-context.js';
import { parseId } from '../shared/ids.js';
import { chargeNotFound } from './charge-responses.js';
import { callProcessorThenDecide } from './decision.js';
import { identityOf, replayFromGuard } from './key-guard.js';
import type { PaymentsStore } from './payments-store.js';
import { refundMetadata } from './processor-metadata.js';
import type { CardProcessor, ProcessorChargeId, ProcessorRefundId, ProcessorRefundOutcome } from './processor-client/card-processor.js';
import { decideRefund, planRefund } from './refund-decision.js';
import type { CreateRefundRequest } from './requests.js';

export interface RefundFlowDependencies {
  readonly processor: CardProcessor;
  readonly store: PaymentsStore;
  readonly now: () => number;
}

/**
 * POST /v1/charges/{id}/refunds, in the charge flow's phases: a late retry is answered from its
 * key guard; the charge is read and the refund planned (refused here if it cannot be); the
 * processor refunds under the downstream key derived from (tenant, refund key); decideRefund
 * (refund-decision.ts) says what that comes to, and its writes commit in one TransactWriteItems
 * with the COMPLETED idempotency record. The processor's bound is what keeps concurrent refunds
 * within the charge; a refund it refuses is answered and never recorded here. From the claim on,
 * the key is a recovery point: if the processor's answer is lost, the retry or the completer
 * asks the processor under the same downstream key.
 */
export const createRefund = async (
  deps: RefundFlowDependencies,
  { body, tenant, event, idempotency, deadline }: RouteInput<CreateRefundRequest>,
): Promise<CommittableResponse> => {
  if (idempotency === undefined)
    throw new Error('POST /v1/charges/{id}/refunds requires an Idempotency-Key; the route must be configured so');
  const { store } = deps;
  const rawId = event.pathParameters?.id ?? '';
  const chargeId = parseId('charge', rawId);
  if (chargeId === undefined) return chargeNotFound(rawId);

  const identity = identityOf(tenant, idempotency);
  // The processor's records carry this key, not the client's: logs name it to join the two.
  addRequestLogContext({ downstreamKey: identity.downstreamKey });
  const guard = await store.findKeyGuard(tenant, identity.downstreamKey);
  if (guard !== undefined) return replayFromGuard(guard, identity, 'refund');

  const charge = await store.readCharge(tenant, chargeId);
  if (charge === undefined) return chargeNotFound(chargeId);
  const plan = planRefund(charge, body);
  if (plan.kind === 'refuse') return plan.response;

  return callProcessorThenDecide(
    (outcome: ProcessorRefundOutcome) =>
      decideRefund(store, {
        outcome,
        charge,
        amount: plan.amount,
        tenant,
        identity,
        nowMs: deps.now(),
        trail: requestTrail(event.requestContext.requestId, idempotency.key),
      }),
    provisionalSuccess,
    () =>
      deadline.waitOn('processor-unavailable', (signal) =>
        deps.processor.refund(
          {
            processorChargeId: charge.processor_charge_id as ProcessorChargeId,
            amount: plan.amount,
            metadata: refundMetadata(tenant, charge.id),
            idempotencyKey: identity.downstreamKey,
          },
          signal,
        ),
      ),
  );
};

/** The outcome that writes the most, to check the commit is writable before the processor is called. */
const provisionalSuccess: ProcessorRefundOutcome = {
  kind: 'succeeded',
  processorRefundId: 'pre_provisional' as ProcessorRefundId,
  replayed: false,
};
