import { defaultLeaseMarginMs } from '@retrysafe/idempotency';
import { completeDueRecoveryPoints, type CompletionSummary } from '../../lambdas/payments/completer.js';
import { paymentsStoreFromEnvironment } from '../../lambdas/payments/payments-store.js';
import type { CardProcessor } from '../../lambdas/payments/processor-client/card-processor.js';
import { idempotencyEngineFor, processorSettleMs } from '../../lambdas/shared/idempotency-engine.js';
import { functions } from '../../lambdas/topology.js';

/** A clock a test moves by hand; the API under test and the completer both read it. */
export interface TestClock {
  readonly now: () => number;
  readonly advance: (ms: number) => void;
}

export const testClock = (startMs = Date.now()): TestClock => {
  let current = startMs;
  return {
    now: () => current,
    advance: (ms) => {
      current += ms;
    },
  };
};

/** The longest lease a charge or refund holds: its function's timeout plus the engine's margin for clock skew. */
export const longestLeaseMs = functions.charges.timeoutSeconds * 1000 + defaultLeaseMarginMs;

/** Time a completer run may take; generous, so that a run in a test always finishes its due points. */
const runMs = 60_000;

/**
 * The completer's next scheduled run, once every lease granted until now and the processor's
 * settle window after it have passed: what becomes of requests whose clients never come back.
 * Only safe when no executor is still at work (a test's hung invocations never resume).
 */
export const runCompleterLater = (clock: TestClock, processor: CardProcessor): Promise<CompletionSummary> => {
  clock.advance(longestLeaseMs + processorSettleMs);
  return runCompleterNow(clock, processor);
};

/** A completer run at the clock's present time, e.g. racing a retry that comes as late. */
export const runCompleterNow = (clock: TestClock, processor: CardProcessor): Promise<CompletionSummary> => {
  const deps = {
    engine: idempotencyEngineFor('completer', { now: clock.now }),
    store: paymentsStoreFromEnvironment(),
    processor,
    now: clock.now,
  };
  return completeDueRecoveryPoints(deps, clock.now() + runMs, () => runMs);
};
