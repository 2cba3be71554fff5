import type { Logger } from '@aws-lambda-powertools/logger';
import { readSetting } from '../settings.js';

/**
 * How a run of a recovery job goes. A recovery job (lambdas/topology.ts: `runsEvery`) finds
 * work an interrupted path left behind, in the tables, and finishes it; each kind of work is a
 * sweep, run here until it is done, the run's deadline comes, or its dependencies are down.
 */

/** Kept back at the end of a run for the item in hand to finish: a few requests, SDK retries included. */
const finishMarginMs = 10_000;

/**
 * Failures in a row after which a sweep stops for this run: whatever it depends on is down, and
 * every further item would only wait out the SDK's retries. A single item that keeps failing
 * costs one failure per run and holds up nothing behind it.
 */
const failuresInARowBeforeStopping = 3;

/** RECOVERY_INTERVAL_SECONDS, the time between two runs of a recovery job. */
export const recoveryIntervalMs = (): number => readSetting('RECOVERY_INTERVAL_SECONDS') * 1000;

/**
 * When a run stops taking on work: when the next run is due, so that runs of one job do not
 * overlap (EventBridge starts each on time, finished or not), and early enough before the
 * function's timeout for the item in hand to finish. What is left waits for the next run.
 */
export const runDeadline = (startMs: number, intervalMs: number, remainingMs: number): number =>
  startMs + Math.min(intervalMs, remainingMs - finishMarginMs);

/** One kind of work a recovery job finds left behind. */
export interface Sweep<Key> {
  /** For logs and the run's report. */
  readonly name: string;
  /** Keys of the candidates at this time, a page at a time; an index they come from may lag. */
  readonly candidates: (nowMs: number) => AsyncIterable<readonly Key[]>;
  /** Re-reads one candidate and finishes what it lacks; false when it lacked nothing after all. */
  readonly recover: (key: Key, nowMs: number) => Promise<boolean>;
}

export interface SweepOutcome {
  readonly recovered: number;
  readonly failed: number;
  /** False when the sweep stopped before its last candidate: the deadline, or a dependency down. */
  readonly finished: boolean;
}

export const runSweep = async <Key>(sweep: Sweep<Key>, now: () => number, deadlineMs: number, logger: Logger): Promise<SweepOutcome> => {
  let recovered = 0;
  let failed = 0;
  let failedInARow = 0;
  try {
    for await (const keys of sweep.candidates(now())) {
      for (const key of keys) {
        if (now() >= deadlineMs || failedInARow >= failuresInARowBeforeStopping) return { recovered, failed, finished: false };
        try {
          if (await sweep.recover(key, now())) recovered++;
          failedInARow = 0;
        } catch (error) {
          failed++;
          failedInARow++;
          logger.warn('A recovery sweep could not recover an item; a later run tries again', { sweep: sweep.name, key, error });
        }
      }
    }
  } catch (error) {
    logger.warn('A recovery sweep could not read its candidates; the next run tries again', { sweep: sweep.name, error });
    return { recovered, failed: failed + 1, finished: false };
  }
  return { recovered, failed, finished: true };
};
