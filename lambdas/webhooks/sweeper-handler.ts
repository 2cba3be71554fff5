import type { Context, ScheduledEvent } from 'aws-lambda';
import { onFirstInvocation } from '../shared/first-invocation.js';
import { recoveryIntervalMs, runDeadline } from '../shared/recovery-run.js';
import { type SweepReport, sweepOnce, type SweeperDeps } from './sweeper.js';
import { defaultDeliveryQueue, defaultDeliveryStore, defaultEndpointStore, defaultOutboxStore } from './stores.js';

export interface SweeperHandlerDeps extends SweeperDeps {
  /** RECOVERY_INTERVAL_SECONDS, in milliseconds. */
  readonly intervalMs: number;
}

export const depsFromEnvironment = (): SweeperHandlerDeps => ({
  deliveries: defaultDeliveryStore(),
  endpoints: defaultEndpointStore(),
  queue: defaultDeliveryQueue(),
  outbox: defaultOutboxStore(),
  now: Date.now,
  intervalMs: recoveryIntervalMs(),
});

/** The webhookSweeper function: run on a schedule (lambdas/topology.ts), the schedule's event carries nothing. */
export const createSweeperHandler =
  (deps: SweeperHandlerDeps) =>
  (_event: ScheduledEvent, context: Context): Promise<SweepReport> =>
    sweepOnce(deps, runDeadline(deps.now(), deps.intervalMs, context.getRemainingTimeInMillis()));

export const handler = onFirstInvocation(() => createSweeperHandler(depsFromEnvironment()));
