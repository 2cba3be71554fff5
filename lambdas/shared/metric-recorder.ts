import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { metricNamespace, type MetricService, metricServices } from './metric-names.js';

/** The units Retrysafe's metrics are counted in. */
export type RecordedUnit = typeof MetricUnit.Count | typeof MetricUnit.Milliseconds;

/**
 * Where an adapter records one metric of its service: Powertools' EMF in Lambda, a fake in
 * tests. Names come from metric-names.ts; the service dimension is the recorder's own.
 */
export interface MetricRecorder<S extends MetricService> {
  record(
    name: keyof (typeof metricServices)[S]['metrics'],
    unit: RecordedUnit,
    value: number,
    dimensions?: Readonly<Record<string, string>>,
  ): void;
}

/**
 * EMF metrics for one service; POWERTOOLS_METRICS_DISABLED=true (tests, local) turns them off.
 * Each metric is written at once as its own EMF line: the adapters that record them (a
 * middleware, a client decorator) do not own the handler's flush, and a handler that timed out
 * would lose what was buffered.
 */
export const emfRecorder = <S extends MetricService>(service: S): MetricRecorder<S> => {
  const metrics = new Metrics({ namespace: metricNamespace, serviceName: metricServices[service].service });
  const names = metricServices[service].metrics as Record<keyof (typeof metricServices)[S]['metrics'], string>;
  return {
    record(name, unit, value, dimensions = {}) {
      const single = metrics.singleMetric();
      for (const [dimension, dimensionValue] of Object.entries(dimensions)) single.addDimension(dimension, dimensionValue);
      single.addMetric(names[name], unit, value);
    },
  };
};

export { MetricUnit };
