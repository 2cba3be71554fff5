import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BucketState,
  type BucketTiming,
  branchOf,
  microsUntilNextToken,
  remainingTokens,
  timingOf,
  toMicros,
  validatePolicy,
  wholeSecondsCeil,
} from '../../lambdas/rate-limit/gcra.js';

/** GCRA exactly as the two conditional writes apply it. */
const gcraStep = (state: BucketState | undefined, timing: BucketTiming, nowUs: number): BucketState | 'rejected' => {
  switch (branchOf(state, nowUs)) {
    case 'idle':
      return { tatUs: nowUs + timing.intervalUs, gateUs: nowUs + timing.gateOffsetUs };
    case 'busy':
      if (state === undefined) throw new Error('busy needs a state');
      return { tatUs: state.tatUs + timing.intervalUs, gateUs: state.gateUs + timing.intervalUs };
    case 'over-limit':
      return 'rejected';
  }
};

/**
 * The textbook token bucket, in integer "token·T" units: the level gains one unit per
 * microsecond up to B·T, and a request needs T of it.
 */
class ReferenceBucket {
  private level: number;
  private last: number;
  constructor(
    private readonly timing: BucketTiming,
    start: number,
  ) {
    this.level = timing.capacityUs;
    this.last = start;
  }
  take(nowUs: number): boolean {
    this.level = Math.min(this.timing.capacityUs, this.level + (nowUs - this.last));
    this.last = nowUs;
    if (this.level < this.timing.intervalUs) return false;
    this.level -= this.timing.intervalUs;
    return true;
  }
  tokens(): number {
    return Math.floor(this.level / this.timing.intervalUs);
  }
  microsToNextToken(): number {
    return this.timing.intervalUs - (this.level % this.timing.intervalUs);
  }
}

const start = 1_750_000_000_000_000;

describe('GCRA', () => {
  it('uses τ = (B − 1)·T so that a full bucket admits exactly B at one instant', () => {
    const timing = timingOf({ ratePerMinute: 100, burst: 100 });
    expect(timing).toMatchObject({ intervalUs: 600_000, toleranceUs: 99 * 600_000, capacityUs: 100 * 600_000 });
    let state: BucketState | undefined;
    let admitted = 0;
    for (let request = 0; request < 150; request += 1) {
      const next = gcraStep(state, timing, start);
      if (next !== 'rejected') {
        state = next;
        admitted += 1;
      }
    }
    expect(admitted).toBe(100);
  });

  it('admits one request at a time when the burst is 1', () => {
    const timing = timingOf({ ratePerMinute: 60, burst: 1 });
    const first = gcraStep(undefined, timing, start);
    expect(first).not.toBe('rejected');
    expect(gcraStep(first as BucketState, timing, start + 999_999)).toBe('rejected');
    expect(gcraStep(first as BucketState, timing, start + 1_000_000)).not.toBe('rejected');
  });

  it('agrees with a reference token bucket on every sequence, including remaining tokens and the next-token time', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6_000 }),
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.integer({ min: 0, max: 3_000_000 }), { minLength: 1, maxLength: 200 }),
        (ratePerMinute, burst, gaps) => {
          const timing = timingOf({ ratePerMinute, burst });
          const reference = new ReferenceBucket(timing, start);
          let state: BucketState | undefined;
          let now = start;
          for (const gap of gaps) {
            now += gap;
            const expected = reference.take(now);
            const next = gcraStep(state, timing, now);
            expect(next !== 'rejected').toBe(expected);
            if (next === 'rejected') {
              if (state === undefined) throw new Error('rejected without a state');
              expect(microsUntilNextToken(state, timing.intervalUs, now)).toBe(reference.microsToNextToken());
              continue;
            }
            state = next;
            expect(remainingTokens(state, timing, now)).toBe(reference.tokens());
            expect(microsUntilNextToken(state, timing.intervalUs, now)).toBe(reference.microsToNextToken());
          }
        },
      ),
    );
  });

  it('gives each of N shards 1/N of the rate and ⌈B/N⌉ of the burst', () => {
    expect(timingOf({ ratePerMinute: 100, burst: 100 }, 8)).toMatchObject({ burst: 13, intervalUs: 8 * 600_000 });
    expect(timingOf({ ratePerMinute: 100, burst: 100 }, 4)).toMatchObject({ burst: 25, intervalUs: 4 * 600_000 });
  });

  it('refuses limits it cannot express', () => {
    expect(() => validatePolicy({ ratePerMinute: 0, burst: 1 })).toThrow(/requests per minute/);
    expect(() => validatePolicy({ ratePerMinute: 10, burst: 0 })).toThrow(/burst/);
    expect(() => validatePolicy({ ratePerMinute: 1.5, burst: 1 })).toThrow(/whole number/);
    expect(() => validatePolicy({ ratePerMinute: 10, burst: 1.5 })).toThrow(/burst/);
    // Above one request per microsecond T would round to zero.
    expect(() => validatePolicy({ ratePerMinute: 60_000_001, burst: 1 })).toThrow(/requests per minute/);
  });

  it('accepts the limits at the edges of what it can express', () => {
    for (const policy of [
      { ratePerMinute: 1, burst: 1 },
      { ratePerMinute: 60_000_000, burst: 1 },
    ]) {
      expect(validatePolicy(policy)).toBe(policy);
    }
  });

  // The limiter picks its first write by branchOf; a branch its condition then refuses costs a second write.
  it('calls a bucket idle from the instant TAT reaches now, as the idle write condition (TAT <= now) does', () => {
    const timing = timingOf({ ratePerMinute: 60, burst: 3 });
    const at = (tatUs: number): BucketState => ({ tatUs, gateUs: tatUs - timing.toleranceUs });
    expect(branchOf(undefined, start)).toBe('idle');
    expect(branchOf(at(start), start)).toBe('idle');
    expect(branchOf(at(start + 1), start)).toBe('busy');
    expect(branchOf(at(start + timing.toleranceUs), start)).toBe('busy');
    expect(branchOf(at(start + timing.toleranceUs + 1), start)).toBe('over-limit');
  });
});

describe('time units', () => {
  it('turns epoch milliseconds into whole microseconds', () => {
    expect(toMicros(1_750_000_000_123)).toBe(1_750_000_000_123_000);
    expect(toMicros(1.0004)).toBe(1_000);
  });

  it('rounds microseconds up to whole seconds, so a client waiting that long finds the token there', () => {
    expect(wholeSecondsCeil(0)).toBe(0);
    expect(wholeSecondsCeil(1)).toBe(1);
    expect(wholeSecondsCeil(1_000_000)).toBe(1);
    expect(wholeSecondsCeil(1_000_001)).toBe(2);
  });
});
