import type { CommittableResponse } from '@retrysafe/idempotency';
import type { RouteInput } from '../http/api-route.js';
import { requestTrail } from '../events/outbox.js';
import { addRequestLogContext } from '../shared/request-log-context.js';
import { decideCharge } from './charge-decision.js';
import { callProcessorThenDecide } from './decision.js';
import { identityOf, replayFromGuard } from './key-guard.js';
import type { PaymentsStore } from './payments-store.js';
import { chargeMetadata } from './processor-metadata.js';
import type { CardProcessor, ProcessorChargeId, ProcessorChargeOutcome } from './processor-client/card-processor.js';
import type { CreateChargeRequest } from './requests.js';

export interface ChargeFlowDependencies {
  readonly processor: CardProcessor;
  readonly store: PaymentsStore;
  readonly now: () => number;
}

/**
 * POST /v1/charges, in atomic phases (after Brandur Leach's Stripe-like idempotency keys):
 *
 *   1. validate              jsonBody middleware, before anything is claimed
 *   2. claim the key         idempotency middleware, one conditional PutItem
 *   3. long-tail check       the permanent key guard, for retries after the 24-hour record expired
 *   4. call the processor    with a downstream key derived from (tenant, key): a retry, a lease
 *                            takeover after a crash, or a replay months later charges nothing new
 *   5. decide                decideCharge (charge-decision.ts), without I/O: the answer, and the
 *                            writes it needs: charge, balanced ledger entries, balance, outbox
 *                            event, key guard
 *   6. commit                ONE TransactWriteItems: those writes and (added by the middleware)
 *                            the COMPLETED idempotency record
 *   7. respond
 *
 * A crash anywhere before 6 leaves nothing committed and the claim's lease expiring; the retry
 * repeats 4 under the same downstream key and gets the processor's stored answer. A crash after
 * 6 leaves a completed record, so the retry is a replay.
 */
export const createCharge = async (
  deps: ChargeFlowDependencies,
  { body, tenant, event, idempotency, deadline }: RouteInput<CreateChargeRequest>,
): Promise<CommittableResponse> => {
  if (idempotency === undefined) throw new Error('POST /v1/charges requires an Idempotency-Key; the route must be configured so');
  const identity = identityOf(tenant, idempotency);
  // The processor's records carry this key, not the client's: logs name it to join the two.
  addRequestLogContext({ downstreamKey: identity.downstreamKey });
  const guard = await deps.store.findKeyGuard(tenant, identity.downstreamKey);
  if (guard !== undefined) return replayFromGuard(guard, identity, 'charge');

  return callProcessorThenDecide(
    (outcome: ProcessorChargeOutcome) =>
      decideCharge(deps.store, {
        outcome,
        request: body,
        tenant,
        identity,
        nowMs: deps.now(),
        trail: requestTrail(event.requestContext.requestId, idempotency.key),
      }),
    provisionalSuccess,
    () =>
      deadline.waitOn('processor-unavailable', (signal) =>
        deps.processor.charge(
          {
            amount: body.amount,
            currency: body.currency,
            source: body.source,
            ...(body.description === undefined ? {} : { description: body.description }),
            // The account rides along, so a processor record the reconciler finds leads back to its guard.
            metadata: chargeMetadata(tenant, body.metadata),
            idempotencyKey: identity.downstreamKey,
          },
          signal,
        ),
      ),
  );
};

/** The outcome that writes the most, to check the commit is writable before the processor is called. */
const provisionalSuccess: ProcessorChargeOutcome = {
  kind: 'succeeded',
  processorChargeId: 'pch_provisional' as ProcessorChargeId,
  replayed: false,
};
