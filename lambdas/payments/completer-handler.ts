import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { onFirstInvocation } from '../shared/first-invocation.js';
import { metricNamespace, metricServices } from '../shared/metric-names.js';
import { idempotencyEngineFor } from '../shared/idempotency-engine.js';
import { recoveryIntervalMs, runDeadline } from '../shared/recovery-run.js';
import { completeDueRecoveryPoints, type CompleterDeps, type CompletionSummary } from './completer.js';
import { paymentsStoreFromEnvironment } from './payments-store.js';
import { processorFromEnvironment } from './processor-client/from-environment.js';

export interface CompleterHandlerDeps extends CompleterDeps {
  /** RECOVERY_INTERVAL_SECONDS, in milliseconds. */
  readonly intervalMs: number;
}

export const depsFromEnvironment = (): CompleterHandlerDeps => ({
  engine: idempotencyEngineFor('completer'),
  store: paymentsStoreFromEnvironment(),
  processor: processorFromEnvironment(),
  now: Date.now,
  intervalMs: recoveryIntervalMs(),
});

/** EMF metrics an alarm can watch; POWERTOOLS_METRICS_DISABLED=true (tests, local) turns them off. */
const metrics = new Metrics({ namespace: metricNamespace, serviceName: metricServices.completer.service });
const names = metricServices.completer.metrics;

const report = (summary: CompletionSummary): void => {
  metrics.addMetric(names.committed, MetricUnit.Count, summary.resolutions.committed);
  metrics.addMetric(names.notCharged, MetricUnit.Count, summary.resolutions['not-charged']);
  metrics.addMetric(names.stillUnknown, MetricUnit.Count, summary.resolutions['still-unknown']);
  metrics.addMetric(names.oldestRecoveryPointAge, MetricUnit.Seconds, Math.floor(summary.oldestWaitingMs / 1000));
  metrics.publishStoredMetrics();
};

/** The completer function, run on a schedule (lambdas/topology.ts): every due recovery point driven to an end. */
export const createCompleterHandler =
  (deps: CompleterHandlerDeps) =>
  async (_event: ScheduledEvent, context: Context): Promise<CompletionSummary> => {
    const deadlineMs = runDeadline(deps.now(), deps.intervalMs, context.getRemainingTimeInMillis());
    const summary = await completeDueRecoveryPoints(deps, deadlineMs, () => context.getRemainingTimeInMillis());
    report(summary);
    return summary;
  };

export const handler = onFirstInvocation(() => createCompleterHandler(depsFromEnvironment()));
