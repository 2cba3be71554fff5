import type { RetrysafeEvent } from '../events/outbox.js';
import type { RouteInput } from '../http/api-route.js';
import { problem, problemResponse } from '../http/problem.js';
import type { HttpResponse } from '../http/types.js';
import { withAtomicCommit, type ActiveIdempotency } from '../idempotency/index.js';
import type { TransactItem } from '../shared/dynamodb.js';
import { newId, type AccountId } from '../shared/ids.js';
import { createLogger } from '../shared/logger.js';
import { chargeResponse } from './charge-responses.js';
import { downstreamKey, replayFromGuard } from './key-guard.js';
import { chargeEntries } from './ledger.js';
import type { PaymentsStore } from './payments-store.js';
import type { CardProcessor, ProcessorChargeOutcome } from './processor-client/card-processor.js';
import type { Charge } from './records.js';
import type { CreateChargeRequest } from './requests.js';

const logger = createLogger('charges');

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
 *   5. commit                ONE TransactWriteItems: charge, balanced ledger entries, balance,
 *                            outbox event, key guard, and (added by the middleware) the COMPLETED
 *                            idempotency record
 *   6. respond
 *
 * A crash anywhere before 5 leaves nothing committed and the claim's lease expiring; the retry
 * repeats 4 under the same downstream key and gets the processor's stored answer. A crash after
 * 5 leaves a completed record, so the retry is a replay.
 */
export const createCharge = async (
  deps: ChargeFlowDependencies,
  { body, tenant, idempotency }: RouteInput<CreateChargeRequest>,
): Promise<HttpResponse> => {
  if (idempotency === undefined) throw new Error('POST /v1/charges requires an Idempotency-Key; the route must be configured so');
  const guard = await deps.store.findKeyGuard(tenant, idempotency.key);
  if (guard !== undefined) return replayFromGuard(deps.store, tenant, guard, idempotency, 'charge');

  const outcome = await deps.processor.charge({
    amount: body.amount,
    currency: body.currency,
    source: body.source,
    ...(body.description === undefined ? {} : { description: body.description }),
    idempotencyKey: downstreamKey(tenant, idempotency.key),
  });
  return respond(outcome, body, tenant, idempotency, deps);
};

const respond = (
  outcome: ProcessorChargeOutcome,
  body: CreateChargeRequest,
  tenant: AccountId,
  idempotency: ActiveIdempotency,
  deps: ChargeFlowDependencies,
): HttpResponse => {
  switch (outcome.kind) {
    case 'unavailable':
      // Not final: the middleware releases the claim and the retry calls the processor again
      // under the same downstream key, which either finds the charge or makes it.
      logger.warn('Processor unavailable', { reason: outcome.reason, detail: outcome.detail });
      return problemResponse(problem('processor-unavailable', { headers: { 'Retry-After': String(outcome.retryAfterSeconds) } }));
    case 'rejected':
      if (outcome.reason === 'idempotency-key-reused') {
        // The downstream key is derived from ours, and the guard and fingerprint stop a changed
        // body before this point: reaching here means the processor's records disagree with ours.
        throw new Error(`Processor reports its idempotency key reused with different parameters: ${outcome.detail}`);
      }
      return problemResponse(
        problem('validation-error', {
          detail: outcome.detail,
          ...(outcome.field === undefined ? {} : { extensions: { field: outcome.field } }),
        }),
      );
    case 'succeeded':
    case 'declined':
      return commitCharge(outcome, body, tenant, idempotency, deps);
  }
};

const commitCharge = (
  outcome: Extract<ProcessorChargeOutcome, { kind: 'succeeded' | 'declined' }>,
  body: CreateChargeRequest,
  tenant: AccountId,
  idempotency: ActiveIdempotency,
  { store, now }: ChargeFlowDependencies,
): HttpResponse => {
  const nowMs = now();
  const created = Math.floor(nowMs / 1000);
  const succeeded = outcome.kind === 'succeeded';
  const charge: Charge = {
    id: newId('charge', nowMs),
    object: 'charge',
    amount: body.amount,
    amount_refunded: 0,
    currency: body.currency,
    status: succeeded ? 'succeeded' : 'failed',
    source: body.source,
    description: body.description ?? null,
    metadata: body.metadata ?? {},
    created,
    processor_charge_id: outcome.processorChargeId,
    failure_code: outcome.kind === 'declined' ? outcome.declineCode : null,
  };
  const event: RetrysafeEvent = {
    id: newId('event', nowMs),
    object: 'event',
    type: succeeded ? 'charge.succeeded' : 'charge.failed',
    created,
    data: { object: { ...charge } },
  };
  const money: TransactItem[] = succeeded
    ? [
        ...store.ledgerAppends(
          chargeEntries({
            id: newId('ledgerTransaction', nowMs),
            account: tenant,
            currency: charge.currency,
            amount: charge.amount,
            source: { kind: 'charge', id: charge.id },
            created,
          }),
        ),
        store.balanceUpdate(tenant, charge.currency, charge.amount),
      ]
    : [];
  const writes: TransactItem[] = [
    store.chargePut(tenant, charge),
    ...money,
    store.eventPut(tenant, event),
    store.keyGuardPut(tenant, idempotency, { kind: 'charge', id: charge.id }, nowMs),
  ];
  return withAtomicCommit(chargeResponse(charge, 201), { writes });
};
