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
      /** Requests refused with 429, with a `route` dimension. */
      rateLimited: 'RateLimitedRequests',
    },
  },
  /**
   * What became of each request that sent an Idempotency-Key, one count per outcome with a
   * `route` dimension (lambdas/http/idempotency-metrics.ts): "cached versus fresh" is
   * firstExecution against replay.
   */
  idempotency: {
    service: 'retrysafe-idempotency',
    metrics: {
      firstExecution: 'IdempotencyFirstExecution',
      replay: 'IdempotencyReplay',
      inUse: 'IdempotencyKeyInUse',
      reused: 'IdempotencyKeyReused',
      /** An ordinary claim whose executor's lease ran out, taken by a retry. */
      takeover: 'IdempotencyTakeover',
      /** A recovery point taken over by the client's retry: the charge resumes where it stopped. */
      resumed: 'IdempotencyResumed',
      released: 'IdempotencyReleased',
      /** A recovery point's executor stopped without an answer; the retry or the completer resumes it. */
      suspended: 'IdempotencySuspended',
    },
  },
  /** Every card processor call, with `operation` and `outcome` dimensions (lambdas/payments/processor-client/metered.ts). */
  processor: {
    service: 'retrysafe-processor-client',
    metrics: {
      calls: 'ProcessorCalls',
      latency: 'ProcessorLatency',
    },
  },
  /** Webhook attempts and what came of them (lambdas/webhooks/dispatcher.ts). */
  webhookDispatcher: {
    service: 'retrysafe-webhook-dispatcher',
    metrics: {
      attempts: 'WebhookAttempts',
      /** Attempts the receiver answered 2xx: delivered. */
      delivered: 'WebhookDeliveries',
      /** Attempts that were not, whether retried later or not. */
      failedAttempts: 'WebhookAttemptsFailed',
      /** Deliveries given up on, with a `reason` dimension: `attempts-exhausted` or `endpoint-gone`. */
      failedDeliveries: 'WebhookDeliveriesFailed',
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
