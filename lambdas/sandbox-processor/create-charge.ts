import { problem, problemResponse } from '../http/problem.js';
import { type HttpResponse, jsonResponse } from '../http/types.js';
import { type Answered, answerFor, type IdempotencyEngine, withAtomicCommit } from '../idempotency/index.js';
import { chargeObject, type ProcessorCharge } from './charge.js';
import { newProcessorChargeId } from './charge-ids.js';
import type { ValidChargeRequest } from './charge-request.js';
import type { ChargeStore } from './charge-store.js';

export interface CreateChargeDeps {
  /** Retrysafe's idempotency engine, its records in the processor's own table. */
  readonly engine: IdempotencyEngine;
  readonly store: ChargeStore;
  readonly now: () => number;
  /** How long a `tok_timeout_after_charge` response is held back after the charge is stored. */
  readonly slowResponseMs: number;
  /** The hold itself; tests inject a gate to observe the stored-but-unanswered state. */
  readonly sleep: (ms: number) => Promise<void>;
}

const chargeResponse = (charge: ProcessorCharge): HttpResponse => jsonResponse(charge.status === 'succeeded' ? 201 : 402, charge);

/** Like Stripe, a reused key names the charge it already created. */
const answerTo = (answered: Answered): HttpResponse => {
  if (answered.kind !== 'key-reused' || answered.original === undefined) return answerFor(answered);
  const { id } = JSON.parse(answered.original.body) as ProcessorCharge;
  return problemResponse(
    problem('idempotency-key-reused', {
      detail: `This key already created charge ${id} with other parameters; use a new key for a new charge.`,
      extensions: { charge: id },
    }),
  );
};

/**
 * POST /charges: one charge per Idempotency-Key. A known key replays its stored charge with the
 * status it was first answered with (201 or 402) and Idempotent-Replayed: true, at once,
 * whatever delay the first answer had; a reused key with other parameters is 422. The charge's
 * listing entry commits with the key's record, so a charge never exists without its key.
 */
export const createSandboxCharge = async (
  deps: CreateChargeDeps,
  { idempotencyKey, fingerprint, request, behaviour }: ValidChargeRequest,
  remainingMs: number,
): Promise<HttpResponse> => {
  const acquired = await deps.engine.acquire({ scope: undefined, key: idempotencyKey, fingerprint, remainingMs });
  if (acquired.kind !== 'claimed') return answerTo(acquired);
  if (behaviour.kind === 'fail-without-charging') {
    const failed = problem('service-unavailable', {
      detail: 'The processor failed before charging; nothing was charged. Retrying with the same Idempotency-Key is safe.',
    });
    return deps.engine.finish(acquired.claim, problemResponse(failed));
  }
  const created = deps.now();
  const charge = chargeObject(
    { id: newProcessorChargeId(created), ...request, idempotency_key: idempotencyKey, created },
    behaviour.outcome,
  );
  const response = await deps.engine.finish(
    acquired.claim,
    withAtomicCommit(chargeResponse(charge), { writes: [deps.store.listingWrite(charge)] }),
  );
  if (behaviour.response === 'after-slow-delay') await deps.sleep(deps.slowResponseMs);
  return response;
};
