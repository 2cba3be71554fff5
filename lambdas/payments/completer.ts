import type { CommittableResponse, DueRecoveryPoint, IdempotencyEngine } from '@retrysafe/idempotency';
import { type EventTrail, requestTrail } from '../events/outbox.js';
import { type AccountId, parseId } from '../shared/ids.js';
import { createLogger } from '../shared/logger.js';
import { processorSettleMs } from '../shared/idempotency-engine.js';
import { runSweep, type Sweep } from '../shared/recovery-run.js';
import { chargeOutcomeOf, decideCharge } from './charge-decision.js';
import { chargeNotFound } from './charge-responses.js';
import { decidedResponse } from './decision.js';
import { replayFromGuard, type RequestIdentity } from './key-guard.js';
import type { PaymentsStore } from './payments-store.js';
import type { CardProcessor } from './processor-client/card-processor.js';
import { paymentRecoveryOf, type PaymentRecovery } from './recovery-point.js';
import { decideRefund } from './refund-decision.js';

export interface CompleterDeps {
  readonly engine: IdempotencyEngine;
  readonly store: PaymentsStore;
  readonly processor: CardProcessor;
  readonly now: () => number;
}

/**
 * What became of one recovery point:
 *   committed      the processor had charged, declined or refunded: recorded here, answer stored
 *   not-charged    the processor never saw the request: the key is released, nothing happened
 *   still-unknown  the processor could not say; asked again after `unknownRetryMs`
 *   taken          the client's retry (or another completer) holds it, or it was resolved meanwhile
 */
export type Resolution = 'committed' | 'not-charged' | 'still-unknown' | 'taken';

export interface CompletionSummary {
  readonly resolutions: Readonly<Record<Resolution, number>>;
  /** Points whose resolution failed: left for the next run. */
  readonly failed: number;
  /** False when the run stopped before every due point: its deadline, or a dependency down. */
  readonly finished: boolean;
  /** How long the longest-waiting point seen had been waiting since its request first claimed it. */
  readonly oldestWaitingMs: number;
}

/** Due points read per query of the index. */
const pointsPerPage = 100;

/** When the processor cannot answer, ask again after the time it takes a request of it to settle. */
export const unknownRetryMs = processorSettleMs;

const logger = createLogger('completer');

/** What the completer does with a point it holds, once it knows what the processor did. */
type Step = { readonly kind: 'finish'; readonly outcome: CommittableResponse } | { readonly kind: 'absent' } | { readonly kind: 'unknown' };

/**
 * The request's own flow, resumed where it could have stopped: after the processor call. The
 * permanent key guard first (someone may have recorded it since), then the processor, asked
 * what it made under the downstream key, never asked to make it: a request nobody finished is
 * finished as it went, not started again.
 */
const stepFor = async (
  deps: CompleterDeps,
  recovery: PaymentRecovery,
  tenant: AccountId,
  identity: RequestIdentity,
  trail: EventTrail,
): Promise<Step> => {
  const guard = await deps.store.findKeyGuard(tenant, recovery.downstreamKey);
  if (guard !== undefined) return { kind: 'finish', outcome: replayFromGuard(guard, identity, recovery.kind) };
  switch (recovery.kind) {
    case 'charge': {
      const found = await deps.processor.findCharge(recovery.downstreamKey);
      if (found.kind !== 'found') return { kind: found.kind === 'absent' ? 'absent' : 'unknown' };
      const decision = decideCharge(deps.store, {
        outcome: chargeOutcomeOf(found.object),
        request: recovery.request,
        tenant,
        identity,
        nowMs: deps.now(),
        trail,
      });
      return { kind: 'finish', outcome: decidedResponse(decision) };
    }
    case 'refund': {
      const chargeId = parseId('charge', recovery.chargeId);
      const charge = chargeId === undefined ? undefined : await deps.store.readCharge(tenant, chargeId);
      // The request would have been answered 404 before the processor was ever called.
      if (charge === undefined) return { kind: 'finish', outcome: chargeNotFound(recovery.chargeId) };
      const found = await deps.processor.findRefund(recovery.downstreamKey);
      if (found.kind !== 'found') return { kind: found.kind === 'absent' ? 'absent' : 'unknown' };
      const decision = decideRefund(deps.store, {
        outcome: { kind: 'succeeded', processorRefundId: found.object.id, replayed: true },
        charge,
        amount: found.object.amount,
        tenant,
        identity,
        nowMs: deps.now(),
        trail,
      });
      return { kind: 'finish', outcome: decidedResponse(decision) };
    }
  }
};

/**
 * Takes one due point over (with the same conditional claim a client's retry makes, so of the
 * two exactly one holds it), and drives it to an end.
 */
const resolve = async (deps: CompleterDeps, point: DueRecoveryPoint, remainingMs: number): Promise<Resolution> => {
  const { scope, key, request, since } = point.recovery;
  const acquired = await deps.engine.acquire({ scope, key, fingerprint: point.fingerprint, remainingMs, recovery: { request, since } });
  if (acquired.kind !== 'claimed') return 'taken';
  const { claim } = acquired;
  try {
    const recovery = paymentRecoveryOf(point.recovery);
    const step = await stepFor(
      deps,
      recovery,
      scope as AccountId,
      { downstreamKey: recovery.downstreamKey, fingerprint: point.fingerprint },
      requestTrail(recovery.requestId, key),
    );
    switch (step.kind) {
      case 'finish':
        await deps.engine.finish(claim, step.outcome);
        return 'committed';
      case 'absent':
        await deps.engine.release(claim);
        return 'not-charged';
      case 'unknown':
        await deps.engine.suspend(claim, deps.now() + unknownRetryMs);
        return 'still-unknown';
    }
  } catch (error) {
    await deps.engine.abandon(claim);
    throw error;
  }
};

/**
 * The completer's work: every recovery point whose time has come (its executor died, or stopped
 * without an answer from the processor, at least `processorSettleMs` ago) is driven to a final
 * state through the same decisions the request's own flow uses, whether or not anybody retries.
 * Each resolution leaves the point out of the due set (completed, released, or due again only
 * after `unknownRetryMs`), so the sweep pages through the due points until none is left or the
 * run's deadline comes.
 */
export const recoveryPoints = (
  deps: CompleterDeps,
  remainingMs: () => number,
  resolutions: Record<Resolution, number>,
): Sweep<DueRecoveryPoint> => ({
  name: 'recoveryPoints',
  candidates: async function* () {
    for (;;) {
      const due = await deps.engine.dueRecoveryPoints(pointsPerPage);
      if (due.length === 0) return;
      yield due;
    }
  },
  recover: async (point) => {
    const resolution = await resolve(deps, point, remainingMs());
    resolutions[resolution]++;
    return resolution !== 'taken';
  },
});

export const completeDueRecoveryPoints = async (
  deps: CompleterDeps,
  deadlineMs: number,
  remainingMs: () => number,
): Promise<CompletionSummary> => {
  const resolutions: Record<Resolution, number> = { committed: 0, 'not-charged': 0, 'still-unknown': 0, taken: 0 };
  const startMs = deps.now();
  let oldestSince = startMs;
  const sweep = recoveryPoints(deps, remainingMs, resolutions);
  const watched: Sweep<DueRecoveryPoint> = {
    ...sweep,
    recover: (point, nowMs) => {
      oldestSince = Math.min(oldestSince, point.recovery.since);
      return sweep.recover(point, nowMs);
    },
  };
  const outcome = await runSweep(watched, deps.now, deadlineMs, logger);
  return { resolutions, failed: outcome.failed, finished: outcome.finished, oldestWaitingMs: startMs - oldestSince };
};
