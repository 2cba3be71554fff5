import { type MetricRecorder, MetricUnit } from '../../shared/metric-recorder.js';
import type { CardProcessor } from './card-processor.js';

type Operation = keyof CardProcessor;

/** An outcome as a dimension value: its kind, and for an unavailable processor, why (a timeout is not a throttle). */
const outcomeOf = (result: { readonly kind: string; readonly reason?: string }): string =>
  result.kind === 'unavailable' ? `unavailable-${result.reason ?? 'unknown'}` : result.kind;

/**
 * The card processor with every call counted and timed, by operation and outcome, so the flows
 * that call it stay unaware of metrics. A call that rejects (its signal aborted: the request ran
 * out of time) is counted as `aborted`, then rethrown.
 */
export const meteredProcessor = (
  processor: CardProcessor,
  recorder: MetricRecorder<'processor'>,
  clock: () => number = () => performance.now(),
): CardProcessor => {
  const metered =
    <A extends unknown[], R extends { readonly kind: string; readonly reason?: string }>(
      operation: Operation,
      call: (...args: A) => Promise<R>,
    ) =>
    async (...args: A): Promise<R> => {
      const started = clock();
      const record = (outcome: string) => {
        const dimensions = { operation, outcome };
        recorder.record('calls', MetricUnit.Count, 1, dimensions);
        recorder.record('latency', MetricUnit.Milliseconds, clock() - started, dimensions);
      };
      try {
        const result = await call(...args);
        record(outcomeOf(result));
        return result;
      } catch (error) {
        record('aborted');
        throw error;
      }
    };
  return {
    charge: metered('charge', (request, signal) => processor.charge(request, signal)),
    refund: metered('refund', (request, signal) => processor.refund(request, signal)),
    findCharge: metered('findCharge', (key, signal) => processor.findCharge(key, signal)),
    findRefund: metered('findRefund', (key, signal) => processor.findRefund(key, signal)),
    listCharges: metered('listCharges', (query, signal) => processor.listCharges(query, signal)),
    listRefunds: metered('listRefunds', (query, signal) => processor.listRefunds(query, signal)),
  };
};
