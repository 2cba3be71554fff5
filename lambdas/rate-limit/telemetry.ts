import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { createLogger } from '../shared/logger.js';
import { metricNamespace, metricServices } from '../shared/metric-names.js';
import type { FailMode } from './config.js';

export const rateLimitLogger = createLogger('rate-limit');

/** EMF metrics; POWERTOOLS_METRICS_DISABLED=true (tests, local) turns them off. */
export const rateLimitMetrics = new Metrics({ namespace: metricNamespace, serviceName: metricServices.rateLimit.service });

/**
 * A request answered without the bucket table is either an unlimited request (fail open) or a
 * refused one (fail closed); both must be visible, so each leaves a log line and a metric that
 * an alarm can watch. The metric is emitted at once: the middleware does not own the handler's
 * metric flush.
 */
export const reportStoreUnavailable = (details: { tenant: string; failMode: FailMode; error: unknown }): void => {
  rateLimitLogger.error('Rate limit store unavailable', {
    tenant: details.tenant,
    failMode: details.failMode,
    error: details.error,
  });
  const metric = rateLimitMetrics.singleMetric();
  metric.addDimension('failMode', details.failMode);
  metric.addMetric(metricServices.rateLimit.metrics.storeUnavailable, MetricUnit.Count, 1);
};

/** A request refused with 429, counted per route: which callers the limit holds back, and where. */
export const reportRateLimited = (route: string): void => {
  const metric = rateLimitMetrics.singleMetric();
  metric.addDimension('route', route);
  metric.addMetric(metricServices.rateLimit.metrics.rateLimited, MetricUnit.Count, 1);
};
