import { describe, expect, it } from 'vitest';
import type { CardProcessor, ProcessorChargeId, ProcessorChargeRequest } from '../../lambdas/payments/processor-client/card-processor.js';
import { meteredProcessor } from '../../lambdas/payments/processor-client/metered.js';
import type { MetricRecorder } from '../../lambdas/shared/metric-recorder.js';

const request: ProcessorChargeRequest = { amount: 300, currency: 'usd', source: 'tok_visa', idempotencyKey: 'rs_1' };

const recording = () => {
  const recorded: [string, string, number, Readonly<Record<string, string>> | undefined][] = [];
  const recorder: MetricRecorder<'processor'> = {
    record: (name, unit, value, dimensions) => {
      recorded.push([name, unit, value, dimensions]);
    },
  };
  return { recorded, recorder };
};

/** A processor whose charge answers `charge`, and a clock that moves 21 ms each time it is read. */
const processorAnswering = (charge: CardProcessor['charge']) => {
  let clock = 0;
  return {
    processor: { charge } as CardProcessor,
    clock: () => (clock += 21),
  };
};

describe('the metered card processor', () => {
  it('counts and times each call by operation and outcome, and hands the answer through', async () => {
    const { recorded, recorder } = recording();
    const answer = { kind: 'succeeded', processorChargeId: 'ch_1' as ProcessorChargeId, replayed: false } as const;
    const { processor, clock } = processorAnswering(() => Promise.resolve(answer));
    expect(await meteredProcessor(processor, recorder, clock).charge(request)).toBe(answer);
    const dimensions = { operation: 'charge', outcome: 'succeeded' };
    expect(recorded).toEqual([
      ['calls', 'Count', 1, dimensions],
      ['latency', 'Milliseconds', 21, dimensions],
    ]);
  });

  it('names why the processor was unavailable, so a timeout is told from a throttle', async () => {
    const { recorded, recorder } = recording();
    const { processor, clock } = processorAnswering(() =>
      Promise.resolve({ kind: 'unavailable', reason: 'timeout', retryAfterSeconds: 1, detail: 'no response within 5000 ms' }),
    );
    await meteredProcessor(processor, recorder, clock).charge(request);
    expect(recorded[0]).toEqual(['calls', 'Count', 1, { operation: 'charge', outcome: 'unavailable-timeout' }]);
  });

  it('counts a call its signal aborted, and lets the abort through', async () => {
    const { recorded, recorder } = recording();
    const { processor, clock } = processorAnswering(() => Promise.reject(new Error('deadline')));
    await expect(meteredProcessor(processor, recorder, clock).charge(request)).rejects.toThrow('deadline');
    expect(recorded[0]).toEqual(['calls', 'Count', 1, { operation: 'charge', outcome: 'aborted' }]);
  });
});
