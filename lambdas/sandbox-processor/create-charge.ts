import { createHash } from 'node:crypto';
import { setTimeout as pause } from 'node:timers/promises';
import { ProblemError } from '../http/problem.js';
import { type HttpResponse, jsonResponse } from '../http/types.js';
import { chargeObject, type ChargeRequest, type ProcessorCharge } from './charge.js';
import { newProcessorChargeId } from './charge-ids.js';
import type { ValidChargeRequest } from './charge-request.js';
import type { ChargeStore, StoredCharge } from './charge-store.js';

export interface CreateChargeDependencies {
  readonly store: ChargeStore;
  readonly now: () => number;
  /** How long a `tok_timeout_after_charge` response is held back after the charge is stored. */
  readonly slowResponseMs: () => number;
  /** The hold itself; tests inject a gate to observe the stored-but-unanswered state. */
  readonly sleep: (ms: number) => Promise<void>;
}

/** Header Stripe sets on a response served from its idempotency store. */
export const replayHeader = 'Idempotent-Replayed';

/**
 * Attempts at the guarded insert before answering 409. A transaction conflict only lasts while
 * a concurrent request on the same key commits (milliseconds, because the sandbox decides the
 * outcome before writing), so waiting briefly resolves it and the loser replays the winner's
 * charge; 409 + Retry-After is the fallback if DynamoDB keeps reporting conflicts.
 */
const maxInsertAttempts = 4;

const fingerprintOf = (request: ChargeRequest): string =>
  createHash('sha256')
    .update(JSON.stringify([request.amount, request.currency, request.source, request.description]))
    .digest('hex');

export const chargeResponse = (charge: ProcessorCharge, replayed: boolean): HttpResponse =>
  jsonResponse(charge.status === 'succeeded' ? 201 : 402, charge, replayed ? { [replayHeader]: 'true' } : {});

const replay = (stored: StoredCharge, fingerprint: string): HttpResponse => {
  if (stored.fingerprint !== fingerprint) {
    throw new ProblemError('idempotency-key-reused', {
      detail: `This key already created charge ${stored.charge.id} with other parameters; use a new key for a new charge.`,
      extensions: { charge: stored.charge.id },
    });
  }
  return chargeResponse(stored.charge, true);
};

const failedBeforeCharging = (): ProblemError =>
  new ProblemError('service-unavailable', {
    detail: 'The processor failed before charging; nothing was charged. Retrying with the same Idempotency-Key is safe.',
  });

const keyInUse = (): ProblemError => new ProblemError('idempotency-key-in-use');

const contentionBackoffMs = (attempt: number): number => Math.floor(Math.random() * 20 * 2 ** attempt);

/**
 * POST /charges: one charge per Idempotency-Key. A known key replays its stored charge with
 * the status it was first answered with (201 or 402) and Idempotent-Replayed: true, at once,
 * whatever delay the first answer had; a reused key with other parameters is 422.
 */
export const createSandboxCharge = async (
  dependencies: CreateChargeDependencies,
  { idempotencyKey, request, behaviour }: ValidChargeRequest,
): Promise<HttpResponse> => {
  const fingerprint = fingerprintOf(request);
  for (let attempt = 1; attempt <= maxInsertAttempts; attempt++) {
    const existing = await dependencies.store.findByKey(idempotencyKey);
    if (existing !== undefined) return replay(existing, fingerprint);
    if (behaviour.kind === 'fail-without-charging') throw failedBeforeCharging();

    const created = dependencies.now();
    const charge = chargeObject(
      { id: newProcessorChargeId(created), ...request, idempotency_key: idempotencyKey, created },
      behaviour.outcome,
    );
    const result = await dependencies.store.insert({ fingerprint, charge });
    if (result.kind === 'inserted') {
      if (behaviour.response === 'after-slow-delay') await dependencies.sleep(dependencies.slowResponseMs());
      return chargeResponse(charge, false);
    }
    if (result.kind === 'contended') await pause(contentionBackoffMs(attempt));
  }
  throw keyInUse();
};
