import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ProblemSlug } from '../../clients/typescript/src/problems.js';
import { parseRateLimit } from '../../clients/typescript/src/rate-limit.js';
import { defaultRetryPolicy, fullJitterDelayMs, parseRetryAfterMs, shouldRetry } from '../../clients/typescript/src/retry.js';

const policy = { ...defaultRetryPolicy, baseDelayMs: 100, maxDelayMs: 1_000 };

describe('full-jitter backoff', () => {
  it('draws uniformly under min(cap, base·2^retry)', () => {
    expect([0, 1, 2, 3, 4, 10].map((retry) => fullJitterDelayMs(retry, policy, () => 0.5))).toEqual([50, 100, 200, 400, 500, 500]);
    expect(fullJitterDelayMs(3, policy, () => 0)).toBe(0);
  });

  it('never exceeds the cap or goes negative', () => {
    fc.assert(
      fc.property(fc.nat(60), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (retry, draw) => {
        const delay = fullJitterDelayMs(retry, policy, () => draw);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(policy.maxDelayMs);
      }),
    );
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2026-12-01T10:00:00Z');

  it('reads delay-seconds', () => {
    expect(parseRetryAfterMs('3', now)).toBe(3_000);
    expect(parseRetryAfterMs(' 0 ', now)).toBe(0);
  });

  it('reads an HTTP-date relative to now, never negative', () => {
    expect(parseRetryAfterMs('Tue, 01 Dec 2026 10:00:05 GMT', now)).toBe(5_000);
    expect(parseRetryAfterMs('Tue, 01 Dec 2026 09:59:00 GMT', now)).toBe(0);
  });

  it('ignores what is absent or malformed', () => {
    expect(parseRetryAfterMs(null, now)).toBeUndefined();
    expect(parseRetryAfterMs('-1', now)).toBeUndefined();
    expect(parseRetryAfterMs('1.5', now)).toBeUndefined();
    expect(parseRetryAfterMs('soon', now)).toBeUndefined();
  });
});

describe('the retry decision', () => {
  const problem = (status: number, slug: ProblemSlug, header: string | null = null) =>
    shouldRetry({ kind: 'problem', status, slug, shouldRetryHeader: header });

  it('retries lost connections and timeouts', () => {
    expect(shouldRetry({ kind: 'network' })).toBe(true);
    expect(shouldRetry({ kind: 'timeout' })).toBe(true);
  });

  it('retries 409 idempotency-key-in-use, 429 and 503, and nothing else by status', () => {
    expect(problem(409, 'idempotency-key-in-use')).toBe(true);
    expect(problem(429, 'rate-limited')).toBe(true);
    expect(problem(503, 'processor-unavailable')).toBe(true);
    expect(problem(503, 'unknown')).toBe(true);
    expect(problem(409, 'unknown')).toBe(false);
    expect(problem(402, 'card-declined')).toBe(false);
    expect(problem(422, 'idempotency-key-reused')).toBe(false);
    expect(problem(500, 'internal-error')).toBe(false);
    expect(problem(502, 'unknown')).toBe(false);
  });

  it('lets Retrysafe-Should-Retry override the status either way', () => {
    expect(problem(500, 'internal-error', 'true')).toBe(true);
    expect(problem(408, 'request-timeout', 'true')).toBe(true);
    expect(problem(503, 'service-unavailable', 'false')).toBe(false);
    expect(problem(429, 'rate-limited', 'False')).toBe(false);
    expect(problem(429, 'rate-limited', 'maybe')).toBe(true);
  });
});

describe('RateLimit headers', () => {
  it('reads the policy and the current state of the same policy', () => {
    const headers = new Headers({ 'RateLimit-Policy': '"default";q=100;w=60;retrysafe-burst=20', RateLimit: '"default";r=42;t=1' });
    expect(parseRateLimit(headers)).toEqual({
      policy: 'default',
      quota: 100,
      windowSeconds: 60,
      burst: 20,
      remaining: 42,
      resetSeconds: 1,
    });
  });

  it('reads a policy sent without its state', () => {
    expect(parseRateLimit(new Headers({ 'RateLimit-Policy': '"default";q=100;w=60' }))).toEqual({
      policy: 'default',
      quota: 100,
      windowSeconds: 60,
      burst: null,
      remaining: null,
      resetSeconds: null,
    });
  });

  it('is undefined without the headers, and skips what does not parse', () => {
    expect(parseRateLimit(new Headers())).toBeUndefined();
    expect(parseRateLimit(new Headers({ RateLimit: 'default;r=1' }))).toBeUndefined();
  });
});
