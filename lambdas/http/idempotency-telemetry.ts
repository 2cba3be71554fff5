import type { IdempotencyKey, IdempotencyObserver, IdempotencyOutcome } from '@retrysafe/idempotency';
import { keyHash } from '../shared/key-hash.js';
import type { metricServices } from '../shared/metric-names.js';
import { type MetricRecorder, MetricUnit } from '../shared/metric-recorder.js';
import { addRequestLogContext } from '../shared/request-log-context.js';
import type { RouteKey } from '../topology.js';

const metricOf: Record<IdempotencyOutcome, keyof (typeof metricServices)['idempotency']['metrics']> = {
  'first-execution': 'firstExecution',
  replay: 'replay',
  'in-use': 'inUse',
  reused: 'reused',
  takeover: 'takeover',
  resumed: 'resumed',
  released: 'released',
  suspended: 'suspended',
};

/**
 * Once an API request's key is read: its hash joins the request's log context, and each of its
 * idempotency outcomes is counted under its route.
 */
export const observeKeyedRequest =
  (recorder: MetricRecorder<'idempotency'>, route: RouteKey) =>
  (key: IdempotencyKey): IdempotencyObserver => {
    addRequestLogContext({ idempotencyKeyHash: keyHash(key) });
    return (outcome) => {
      recorder.record(metricOf[outcome], MetricUnit.Count, 1, { route });
    };
  };
