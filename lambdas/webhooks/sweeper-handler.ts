import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { onFirstInvocation } from '../shared/first-invocation.js';
import { metricNamespace, metricServices } from '../shared/metric-names.js';
import { recoveryIntervalMs, runDeadline } from '../shared/recovery-run.js';
import { unpublishedEventsSweep } from './outbox-sweep.js';
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

/** EMF metrics an alarm can watch; POWERTOOLS_METRICS_DISABLED=true (tests, local) turns them off. */
export const sweeperMetrics = new Metrics({ namespace: metricNamespace, serviceName: metricServices.webhookSweeper.service });

/**
 * Every event the outbox sweep found, published or not, had gone unpublished past its threshold:
 * the stream path failed it, so a webhook is minutes late even when the sweep repairs it.
 */
export const reportSweep = (report: SweepReport): void => {
  const outbox = report[unpublishedEventsSweep];
  const found = outbox === undefined ? 0 : outbox.recovered + outbox.failed;
  sweeperMetrics.addMetric(metricServices.webhookSweeper.metrics.outboxEventsUnpublished, MetricUnit.Count, found);
  sweeperMetrics.publishStoredMetrics();
};

/** The webhookSweeper function: run on a schedule (lambdas/topology.ts), the schedule's event carries nothing. */
export const createSweeperHandler =
  (deps: SweeperHandlerDeps) =>
  async (_event: ScheduledEvent, context: Context): Promise<SweepReport> => {
    const report = await sweepOnce(deps, runDeadline(deps.now(), deps.intervalMs, context.getRemainingTimeInMillis()));
    reportSweep(report);
    return report;
  };

export const handler = onFirstInvocation(() => createSweeperHandler(depsFromEnvironment()));
