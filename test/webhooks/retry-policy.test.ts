import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { readSetting } from '../../lambdas/settings.js';
import { parseRetryAfter } from '../../lambdas/webhooks/http-sender.js';
import {
  attemptsPerRound,
  backoffDelayMs,
  decideAfterAttempt,
  defaultRetrySchedule,
  maxSqsDelaySeconds,
  parseRetrySchedule,
  sqsDelaySeconds,
  type AttemptResult,
} from '../../lambdas/webhooks/retry-policy.js';

const response = (status: number, retryAfterMs?: number): AttemptResult => ({ kind: 'response', status, retryAfterMs });
const middle = () => 0.5;

describe('the retry schedule', () => {
  afterEach(() => {
    delete process.env.WEBHOOK_RETRY_SCHEDULE;
  });

  it('defaults to 5s, 5m, 30m, 2h, 5h, 10h, 10h: eight attempts a round', () => {
    expect(readSetting('WEBHOOK_RETRY_SCHEDULE')).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000]);
    expect(attemptsPerRound(defaultRetrySchedule)).toBe(8);
  });

  it('comes from WEBHOOK_RETRY_SCHEDULE, read at call time', () => {
    process.env.WEBHOOK_RETRY_SCHEDULE = '1, 1,1';
    expect(readSetting('WEBHOOK_RETRY_SCHEDULE')).toEqual([1, 1, 1]);
  });

  it('reads multi-digit waits, such as WEBHOOK_RETRY_SCHEDULE=5,300 or the default written out', () => {
    process.env.WEBHOOK_RETRY_SCHEDULE = '5,300';
    expect(readSetting('WEBHOOK_RETRY_SCHEDULE')).toEqual([5, 300]);
    expect(parseRetrySchedule(defaultRetrySchedule.join(','))).toEqual(defaultRetrySchedule);
  });

  it.each(['', '   '])('falls back to the default when WEBHOOK_RETRY_SCHEDULE is set but blank (%j)', (raw) => {
    process.env.WEBHOOK_RETRY_SCHEDULE = raw;
    expect(readSetting('WEBHOOK_RETRY_SCHEDULE')).toEqual(defaultRetrySchedule);
  });

  it('accepts the bounds themselves: 20 entries, and waits of 1 second and of a whole day', () => {
    const twenty = Array.from({ length: 20 }, () => '1').join(',');
    expect(parseRetrySchedule(twenty)).toHaveLength(20);
    expect(parseRetrySchedule('1,86400')).toEqual([1, 86_400]);
  });

  it.each(['', '5,,10', '5,abc', '0', '-1', '1.5', '100000', Array.from({ length: 21 }, () => '1').join(',')])(
    'refuses the malformed schedule %j',
    (raw) => {
      expect(() => parseRetrySchedule(raw)).toThrow(/WEBHOOK_RETRY_SCHEDULE/);
    },
  );

  // The dispatcher fails at start-up with this error; its first line is all an operator sees in the log.
  it.each([
    ['5,abc', '"abc" is not a whole number of seconds'],
    ['86401', 'each wait must be between 1 and 86400 seconds'],
    [Array.from({ length: 21 }, () => '1').join(','), 'at most 20 entries'],
  ])('names the error, the setting and what is wrong with %j', (raw, reason) => {
    expect(() => parseRetrySchedule(raw)).toThrow(
      expect.objectContaining({ name: 'RetryScheduleError', message: `WEBHOOK_RETRY_SCHEDULE="${raw}" is invalid: ${reason}` }),
    );
  });
});

describe('full jitter within the schedule', () => {
  it('draws each wait from [previous step, this step], the first from [0, first step]', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 86_400 }), { minLength: 1, maxLength: 20 }),
        fc.nat(),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (schedule, pick, random) => {
          const index = pick % schedule.length;
          const ceiling = (schedule[index] ?? 0) * 1000;
          const floor = Math.min(index === 0 ? 0 : (schedule[index - 1] ?? 0) * 1000, ceiling);
          const delay = backoffDelayMs(schedule, index, () => random);
          return delay >= floor && delay <= ceiling;
        },
      ),
    );
  });

  it('spans the whole gap between steps', () => {
    expect(backoffDelayMs(defaultRetrySchedule, 0, () => 0)).toBe(0);
    expect(backoffDelayMs(defaultRetrySchedule, 0, () => 1 - Number.EPSILON)).toBe(5_000);
    expect(backoffDelayMs(defaultRetrySchedule, 2, () => 0)).toBe(300_000);
    expect(backoffDelayMs(defaultRetrySchedule, 2, () => 1 - Number.EPSILON)).toBe(1_800_000);
    expect(backoffDelayMs(defaultRetrySchedule, 6, middle)).toBe(36_000_000);
  });

  it('has no wait past the end of the schedule: that attempt was the last of its round', () => {
    expect(() => backoffDelayMs([5, 300], 2, middle)).toThrow(new RangeError('The schedule has no wait at index 2'));
  });

  it('keeps a whole round within the sum of the schedule', () => {
    const total = defaultRetrySchedule.reduce((sum, seconds) => sum + seconds, 0) * 1000;
    const longest = defaultRetrySchedule.reduce(
      (sum, _seconds, index) => sum + backoffDelayMs(defaultRetrySchedule, index, () => 1 - Number.EPSILON),
      0,
    );
    expect(longest).toBeLessThanOrEqual(total);
  });
});

describe('decideAfterAttempt', () => {
  const schedule = [1, 1, 1];

  it('counts any 2xx as delivered', () => {
    for (const status of [200, 201, 202, 204, 299])
      expect(decideAfterAttempt(response(status), 1, schedule, middle)).toEqual({ kind: 'delivered' });
  });

  it('retries 3xx (redirects are not followed), 4xx, 5xx and transport errors', () => {
    for (const result of [
      response(300),
      response(301),
      response(302),
      response(400),
      response(404),
      response(500),
      { kind: 'error', error: 'timeout' } as const,
    ]) {
      expect(decideAfterAttempt(result, 1, schedule, middle).kind).toBe('retry');
    }
  });

  it('does not count a status below 200 as delivered', () => {
    for (const status of [100, 199]) expect(decideAfterAttempt(response(status), 1, schedule, middle).kind).toBe('retry');
  });

  it('gives up after the last attempt of the round: schedule length + 1', () => {
    expect(decideAfterAttempt(response(500), 3, schedule, middle).kind).toBe('retry');
    expect(decideAfterAttempt(response(500), 4, schedule, middle)).toEqual({ kind: 'exhausted' });
  });

  it('treats 410 Gone as the endpoint asking to be disabled, whatever the attempt', () => {
    expect(decideAfterAttempt(response(410), 1, schedule, middle)).toEqual({ kind: 'endpoint-gone' });
    expect(decideAfterAttempt(response(410), 4, schedule, middle)).toEqual({ kind: 'endpoint-gone' });
  });

  it('pushes the next attempt back to at least Retry-After on 429 and 503', () => {
    expect(decideAfterAttempt(response(429, 120_000), 1, schedule, middle)).toEqual({ kind: 'retry', delayMs: 120_000 });
    expect(decideAfterAttempt(response(503, 30_000), 2, schedule, middle)).toEqual({ kind: 'retry', delayMs: 30_000 });
  });

  it('keeps the backoff when Retry-After asks for less, and ignores Retry-After on other statuses', () => {
    expect(decideAfterAttempt(response(429, 0), 1, [60], () => 0.5)).toEqual({ kind: 'retry', delayMs: 30_000 });
    expect(decideAfterAttempt(response(500, 120_000), 1, schedule, middle)).toEqual({ kind: 'retry', delayMs: 500 });
  });

  it('retries a 429 or 503 without Retry-After after the backoff alone', () => {
    expect(decideAfterAttempt(response(503), 1, [60], middle)).toEqual({ kind: 'retry', delayMs: 30_000 });
    expect(decideAfterAttempt(response(429), 2, [5, 300], () => 0)).toEqual({ kind: 'retry', delayMs: 5_000 });
  });

  it('caps Retry-After at a day', () => {
    expect(decideAfterAttempt(response(503, 10 * 86_400_000), 1, schedule, middle)).toEqual({ kind: 'retry', delayMs: 86_400_000 });
  });
});

describe('Retry-After parsing', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it('reads delta-seconds and HTTP-dates', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:02:00 GMT', now)).toBe(120_000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 00:00:00 GMT', now)).toBe(0);
  });

  it('ignores what is neither', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });
});

describe('SQS delays', () => {
  it('round up to whole seconds and stop at 15 minutes; the rest of a long wait is a further hop', () => {
    expect(sqsDelaySeconds(1_500, 0)).toBe(2);
    expect(sqsDelaySeconds(0, 1_000)).toBe(0);
    expect(sqsDelaySeconds(36_000_000, 0)).toBe(maxSqsDelaySeconds);
  });
});
