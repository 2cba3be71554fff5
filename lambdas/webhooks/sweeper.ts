import { createLogger } from '../shared/logger.js';
import { runSweep, type SweepOutcome } from '../shared/recovery-run.js';
import { lostDeliveryMessages } from './delivery-sweep.js';
import { unpublishedEvents } from './outbox-sweep.js';
import type { PublisherDeps } from './publisher.js';

export type SweeperDeps = PublisherDeps;

export type SweepReport = Readonly<Record<string, SweepOutcome>>;

const logger = createLogger('webhook-sweeper');

/**
 * One run of the webhook sweeper, the recovery job behind the stream and the queue: first the
 * outbox events nobody published (which creates their deliveries and messages), then the
 * deliveries whose message was lost. Each candidate is re-read and only what it still lacks is
 * done, so a run may overlap another, or repeat one, without sending anything twice.
 */
export const sweepOnce = async (deps: SweeperDeps, deadlineMs: number): Promise<SweepReport> => {
  const report: Record<string, SweepOutcome> = {};
  for (const sweep of [unpublishedEvents(deps), lostDeliveryMessages(deps)]) {
    report[sweep.name] = await runSweep(sweep, deps.now, deadlineMs, logger);
  }
  if (Object.values(report).some((outcome) => outcome.recovered > 0 || !outcome.finished)) logger.info('Sweep done', { report });
  return report;
};
