import type { EventTrail, RetrysafeEvent } from '../events/outbox.js';
import { problem, problemResponse } from '../http/problem.js';
import { newId, type AccountId } from '../shared/ids.js';
import { chargeResponse } from './charge-responses.js';
import { answerFromRivalGuard, type RequestIdentity } from './key-guard.js';
import { answer, type Decision } from './decision.js';
import { chargeEntries } from './ledger.js';
import type { PaymentsStore } from './payments-store.js';
import type { ProcessorChargeOutcome, ProcessorChargeSnapshot } from './processor-client/card-processor.js';
import type { Charge } from './records.js';
import type { CreateChargeRequest } from './requests.js';

export interface ChargeDecisionInput {
  readonly outcome: ProcessorChargeOutcome;
  readonly request: CreateChargeRequest;
  readonly tenant: AccountId;
  /** The request's downstream key and fingerprint, which its key guard keeps. */
  readonly identity: RequestIdentity;
  /** Epoch milliseconds: the new ids' time and the charge's `created`. */
  readonly nowMs: number;
  /** The request its event names as its origin. */
  readonly trail: EventTrail;
}

/**
 * The outcome a charge the processor holds stands for, as if its answer had just been replayed:
 * how the completer and the reconciler decide a charge from the processor's record of it.
 */
export const chargeOutcomeOf = (charge: ProcessorChargeSnapshot): ProcessorChargeOutcome =>
  charge.status === 'succeeded'
    ? { kind: 'succeeded', processorChargeId: charge.id, replayed: true }
    : { kind: 'declined', processorChargeId: charge.id, declineCode: charge.declineCode, replayed: true };

/** The outcomes after which the processor holds a charge, succeeded or declined, that Retrysafe records. */
type OutcomeWithCharge = Extract<ProcessorChargeOutcome, { kind: 'succeeded' | 'declined' }>;

/**
 * What a charge comes to once the processor has answered:
 *
 *   succeeded    the charge, its balanced ledger transaction, the balance, the outbox event and
 *                the key guard, answered 201
 *   declined     the failed charge, its event and the key guard, and no money; a 402 that is
 *                stored, so every retry is told the same
 *   rejected     nothing was charged and nothing is written: a 400 like any validation error
 *   unavailable  nothing is known yet: a 503; the key's recovery point stays, and the retry (or
 *                the completer) asks the processor again under the same downstream key
 */
export const decideCharge = (store: PaymentsStore, input: ChargeDecisionInput): Decision => {
  const { outcome } = input;
  switch (outcome.kind) {
    case 'unavailable':
      return answer(problemResponse(problem('processor-unavailable', { headers: { 'Retry-After': String(outcome.retryAfterSeconds) } })));
    case 'rejected':
      if (outcome.reason === 'idempotency-key-reused') {
        // The downstream key is derived from ours, and the guard and fingerprint stop a changed
        // body before this point: reaching here means the processor's records disagree with ours.
        throw new Error(`Processor reports its idempotency key reused with different parameters: ${outcome.detail}`);
      }
      return answer(
        problemResponse(
          problem('validation-error', {
            detail: outcome.detail,
            ...(outcome.field === undefined ? {} : { extensions: { field: outcome.field } }),
          }),
        ),
      );
    case 'succeeded':
    case 'declined':
      return recordCharge(store, outcome, input);
  }
};

const recordCharge = (
  store: PaymentsStore,
  outcome: OutcomeWithCharge,
  { request, tenant, identity, nowMs, trail }: ChargeDecisionInput,
): Decision => {
  const created = Math.floor(nowMs / 1000);
  const succeeded = outcome.kind === 'succeeded';
  const charge: Charge = {
    id: newId('charge', nowMs),
    object: 'charge',
    amount: request.amount,
    amount_refunded: 0,
    currency: request.currency,
    status: succeeded ? 'succeeded' : 'failed',
    source: request.source,
    description: request.description ?? null,
    metadata: request.metadata ?? {},
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
    request: trail,
  };
  const money = succeeded
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
  const response = chargeResponse(charge, 201);
  const guard = store.keyGuardPut({
    tenant,
    key: identity.downstreamKey,
    fingerprint: identity.fingerprint,
    resource: { kind: 'charge', id: charge.id },
    answer: response,
    nowMs,
  });
  const writes = [store.chargePut(tenant, charge), ...money, store.eventPut(tenant, event), guard];
  return { kind: 'commit', response, commit: { writes, onRejected: answerFromRivalGuard(writes, guard, identity, 'charge') } };
};
