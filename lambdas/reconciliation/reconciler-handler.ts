import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { metricNamespace, metricServices } from '../shared/metric-names.js';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { processorFromEnvironment } from '../payments/processor-client/from-environment.js';
import { readSetting } from '../settings.js';
import { dynamo } from '../shared/dynamodb.js';
import { tableName } from '../shared/env.js';
import { onFirstInvocation } from '../shared/first-invocation.js';
import { createLogger } from '../shared/logger.js';
import { recoveryIntervalMs, runDeadline } from '../shared/recovery-run.js';
import { classificationKinds } from './classification.js';
import { type ReconciliationReport, reconcile, type ReconcilerDeps } from './reconciler.js';
import { reconcilerDeps, type ReconcilerTable, reconcilerTables } from './reconciler-deps.js';
import { processorListings } from './watermarks.js';

export interface ReconcilerHandlerDeps extends ReconcilerDeps {
  /** RECOVERY_INTERVAL_SECONDS, in milliseconds. */
  readonly intervalMs: number;
}

export const depsFromEnvironment = (): ReconcilerHandlerDeps => ({
  ...reconcilerDeps({
    client: dynamo(),
    tables: Object.fromEntries(reconcilerTables.map((table) => [table, tableName(table)])) as Record<ReconcilerTable, string>,
    processor: processorFromEnvironment(),
    stuckAfterMs: readSetting('RECOVERY_STUCK_AFTER_SECONDS') * 1000,
    now: Date.now,
  }),
  intervalMs: recoveryIntervalMs(),
});

const logger = createLogger('reconciler');

/** EMF metrics an alarm can watch (mismatched, unknown, stuck above zero); POWERTOOLS_METRICS_DISABLED=true (tests, local) turns them off. */
const metrics = new Metrics({ namespace: metricNamespace, serviceName: metricServices.reconciler.service });
const metricNames = metricServices.reconciler.metrics;

/** One log line per object that is not simply matched, and per stuck point; the counts as metrics. */
const report = (result: ReconciliationReport): void => {
  for (const judged of result.notable) {
    switch (judged.classification.kind) {
      case 'mismatched':
        logger.error('The processor and Retrysafe disagree; nothing was changed', { ...judged });
        break;
      case 'unknown':
        logger.error('A processor object is not from Retrysafe', { ...judged });
        break;
      case 'recovered':
        logger.warn('Recorded a processor object Retrysafe had lost', { ...judged });
        break;
      case 'pending':
      case 'matched':
        break;
    }
  }
  for (const point of result.stuck) logger.error('A recovery point is stuck: the completer has not resolved it', { ...point });
  for (const kind of classificationKinds) {
    const count = processorListings.reduce((sum, listing) => sum + result.listings[listing].counts[kind], 0);
    metrics.addMetric(metricNames[kind], MetricUnit.Count, count);
  }
  const failed = processorListings.reduce((sum, listing) => sum + result.listings[listing].failed, 0);
  metrics.addMetric(metricNames.failed, MetricUnit.Count, failed);
  metrics.addMetric(metricNames.stuckRecoveryPoints, MetricUnit.Count, result.stuck.length);
  metrics.publishStoredMetrics();
};

/** The reconciler function, run on a schedule (lambdas/topology.ts): one reconciliation, reported. */
export const createReconcilerHandler =
  (deps: ReconcilerHandlerDeps) =>
  async (_event: ScheduledEvent, context: Context): Promise<ReconciliationReport> => {
    const result = await reconcile(deps, { deadlineMs: runDeadline(deps.now(), deps.intervalMs, context.getRemainingTimeInMillis()) });
    report(result);
    return result;
  };

export const handler = onFirstInvocation(() => createReconcilerHandler(depsFromEnvironment()));
