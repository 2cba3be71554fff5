/**
 * The EMF metrics Retrysafe's functions emit, declared once: the emitting code names its metrics
 * from here, and the CDK stack's alarms and dashboard (lib/alarms.ts, lib/dashboard.ts) find
 * them by the same names. Powertools Metrics adds each service's name as the `service`
 * dimension, so a metric is addressed by namespace, service and name.
 *
 * Lambda bundles import this module: plain data, no imports.
 */
export const metricNamespace = 'Retrysafe';

export const metricServices = {
  rateLimit: {
    service: 'retrysafe-rate-limit',
    metrics: {
      /** Emitted with a `failMode` dimension: `open` (served unlimited) or `closed` (refused with 503). */
      storeUnavailable: 'RateLimitStoreUnavailable',
    },
  },
  completer: {
    service: 'retrysafe-completer',
    metrics: {
      committed: 'RecoveryPointsCommitted',
      notCharged: 'RecoveryPointsNotCharged',
      stillUnknown: 'RecoveryPointsStillUnknown',
      oldestRecoveryPointAge: 'OldestRecoveryPointAge',
    },
  },
  webhookSweeper: {
    service: 'retrysafe-webhook-sweeper',
    metrics: {
      /** Outbox events a sweep found unpublished past its threshold (lambdas/webhooks/outbox-sweep.ts). */
      outboxEventsUnpublished: 'OutboxEventsUnpublished',
    },
  },
  /** One count per classification a run made (lambdas/reconciliation/join.ts), and what it could not judge. */
  reconciler: {
    service: 'retrysafe-reconciler',
    metrics: {
      matched: 'ReconciliationMatched',
      recovered: 'ReconciliationRecovered',
      mismatched: 'ReconciliationMismatched',
      unknown: 'ReconciliationUnknown',
      pending: 'ReconciliationPending',
      failed: 'ReconciliationFailed',
      stuckRecoveryPoints: 'StuckRecoveryPoints',
    },
  },
} as const;

export type MetricService = keyof typeof metricServices;
