import { afterEach, describe, expect, it, vi } from 'vitest';
import { metricServices } from '../../lambdas/shared/metric-names.js';
import { reportSweep, sweeperMetrics } from '../../lambdas/webhooks/sweeper-handler.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('webhook sweeper metrics', () => {
  it('counts every outbox event a run found unpublished past the threshold, published by the sweep or not', () => {
    const added = vi.spyOn(sweeperMetrics, 'addMetric');
    const published = vi.spyOn(sweeperMetrics, 'publishStoredMetrics');
    reportSweep({
      unpublishedEvents: { recovered: 2, failed: 1, finished: false },
      lostDeliveryMessages: { recovered: 5, failed: 0, finished: true },
    });
    expect(added).toHaveBeenCalledWith(metricServices.webhookSweeper.metrics.outboxEventsUnpublished, 'Count', 3);
    expect(published).toHaveBeenCalled();
  });

  it('reports zero when the stream published everything, so the alarm sees data on a healthy stack', () => {
    const added = vi.spyOn(sweeperMetrics, 'addMetric');
    reportSweep({
      unpublishedEvents: { recovered: 0, failed: 0, finished: true },
      lostDeliveryMessages: { recovered: 0, failed: 0, finished: true },
    });
    expect(added).toHaveBeenCalledWith(metricServices.webhookSweeper.metrics.outboxEventsUnpublished, 'Count', 0);
  });
});
