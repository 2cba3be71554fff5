import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { onFirstInvocation } from '../shared/first-invocation.js';
import { idempotencyEngineFor } from '../shared/idempotency-engine.js';
import { completeDueRecoveryPoints, type CompleterDeps, type CompletionSummary } from './completer.js';
import { paymentsStoreFromEnvironment } from './payments-store.js';
import { processorFromEnvironment } from './processor-client/from-environment.js';

export const depsFromEnvironment = (): CompleterDeps => ({
  engine: idempotencyEngineFor('completer'),
  store: paymentsStoreFromEnvironment(),
  processor: processorFromEnvironment(),
  now: Date.now,
});

/** EMF metrics an alarm can watch; POWERTOOLS_METRICS_DISABLED=true (tests, local) turns them off. */
const metrics = new Metrics({ namespace: 'Retrysafe', serviceName: 'retrysafe-completer' });

const report = (summary: CompletionSummary): void => {
  metrics.addMetric('RecoveryPointsCommitted', MetricUnit.Count, summary.resolutions.committed);
  metrics.addMetric('RecoveryPointsNotCharged', MetricUnit.Count, summary.resolutions['not-charged']);
  metrics.addMetric('RecoveryPointsStillUnknown', MetricUnit.Count, summary.resolutions['still-unknown']);
  metrics.addMetric('OldestRecoveryPointAge', MetricUnit.Seconds, Math.floor(summary.oldestWaitingMs / 1000));
  metrics.publishStoredMetrics();
};

/** The completer function, run on a schedule: every due recovery point driven to an end. */
export const createCompleterHandler =
  (deps: CompleterDeps) =>
  async (_event: unknown, context: Context): Promise<CompletionSummary> => {
    const summary = await completeDueRecoveryPoints(deps, context.getRemainingTimeInMillis());
    report(summary);
    return summary;
  };

export const handler = onFirstInvocation(() => createCompleterHandler(depsFromEnvironment()));
