import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { bucketKey } from '../../lambdas/rate-limit/bucket-item.js';
import { StoreUnavailableError } from '../../lambdas/rate-limit/bucket-store.js';
import { type BucketPolicy, timingOf } from '../../lambdas/rate-limit/gcra.js';
import { createRateLimiter, type RateLimitDecision, type RateLimiter, type RateLimiterOptions } from '../../lambdas/rate-limit/limiter.js';
import { removeRateLimitOverride, setRateLimitOverride } from '../../lambdas/rate-limit/overrides.js';
import { rateLimitLogger, rateLimitMetrics } from '../../lambdas/rate-limit/telemetry.js';
import { metricServices } from '../../lambdas/shared/metric-names.js';
import type { AccountId } from '../../lambdas/shared/ids.js';
import {
  answeringClient,
  countingClient,
  freshTenant,
  hangingClient,
  rateLimitTable,
  readBucketItem,
  unreachableClient,
} from './clients.js';

const perMinute100: BucketPolicy = { ratePerMinute: 100, burst: 100 };
/**
 * The fake clock starts at the real time (whole seconds): DynamoDB Local runs TTL deletion
 * against its own clock, and a bucket whose expiresAt lies in the real past would vanish
 * mid-test, exactly as it would in AWS.
 */
const t0 = Math.floor(Date.now() / 1000) * 1000;
const counting = countingClient();

afterEach(() => {
  vi.restoreAllMocks();
});

afterAll(() => {
  counting.client.destroy();
});

/** A fake clock one test moves by hand. */
const clock = (start = t0) => {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
};

/**
 * Hundreds of concurrent calls queue for sockets in one process on a shared machine; the
 * per-call timeout is raised so that queueing is never mistaken for an unavailable store.
 */
const limiterOn = (options: Partial<RateLimiterOptions> & { now: () => number }): RateLimiter =>
  createRateLimiter({
    policy: perMinute100,
    failMode: 'open',
    client: counting.client,
    tableName: rateLimitTable(),
    timeoutMs: 25_000,
    ...options,
  });

const admittedCount = (decisions: readonly RateLimitDecision[]): number => decisions.filter((d) => d.outcome === 'admitted').length;

const checkMany = (limiter: RateLimiter, tenant: AccountId, count: number): Promise<RateLimitDecision[]> =>
  Promise.all(Array.from({ length: count }, () => limiter.check(tenant)));

describe('rate limiter on DynamoDB Local', () => {
  it('admits exactly 100 of 500 concurrent requests on a 100-token bucket, across ten instances', async () => {
    const time = clock();
    const tenant = freshTenant();
    const instances = Array.from({ length: 10 }, () => limiterOn({ now: time.now }));
    const decisions = (await Promise.all(instances.map((instance) => checkMany(instance, tenant, 50)))).flat();
    expect(admittedCount(decisions)).toBe(100);
    const rejections = decisions.filter((d) => d.outcome === 'rejected');
    expect(rejections).toHaveLength(400);
    // The 101st token is one emission interval (0.6 s) away.
    expect(new Set(rejections.map((d) => d.retryAfterSeconds))).toEqual(new Set([1]));
  });

  it('admits exactly the burst from one instance too, and reports the remaining tokens falling', async () => {
    const time = clock();
    const tenant = freshTenant();
    const limiter = limiterOn({ now: time.now });
    const remaining: number[] = [];
    for (let request = 0; request < 5; request += 1) {
      const decision = await limiter.check(tenant);
      if (decision.outcome !== 'admitted') throw new Error(`request ${request} was ${decision.outcome}`);
      remaining.push(decision.remaining);
    }
    expect(remaining).toEqual([99, 98, 97, 96, 95]);
  });

  it('refills one token per emission interval and the whole bucket over a minute', async () => {
    const time = clock();
    const tenant = freshTenant();
    const limiter = limiterOn({ now: time.now });
    expect(admittedCount(await checkMany(limiter, tenant, 120))).toBe(100);

    time.advance(599);
    expect((await limiter.check(tenant)).outcome).toBe('rejected');
    time.advance(1);
    expect(await limiter.check(tenant)).toMatchObject({ outcome: 'admitted', remaining: 0, effectiveWindowSeconds: 1 });
    expect((await limiter.check(tenant)).outcome).toBe('rejected');

    time.advance(60_000);
    expect(admittedCount(await checkMany(limiter, tenant, 120))).toBe(100);
  });

  it('lets a burst smaller than the rate through at once, then one request per interval', async () => {
    const time = clock();
    const tenant = freshTenant();
    const limiter = limiterOn({ now: time.now, policy: { ratePerMinute: 60, burst: 5 } });
    expect(admittedCount(await checkMany(limiter, tenant, 10))).toBe(5);
    const rejected = await limiter.check(tenant);
    expect(rejected).toMatchObject({ outcome: 'rejected', retryAfterSeconds: 1 });
    time.advance(3_000);
    expect(admittedCount(await checkMany(limiter, tenant, 10))).toBe(3);
  });

  it('expires idle buckets through TTL: expiresAt is when the bucket is full again, plus slack', async () => {
    const time = clock();
    const tenant = freshTenant();
    const limiter = limiterOn({ now: time.now });
    await limiter.check(tenant);
    const item = await readBucketItem(counting.client, bucketKey(tenant, 0, 1));
    // Full again at most B·T = 60 s after now; 60 s of slack for clock skew between instances.
    expect(item?.expiresAt).toBe(t0 / 1000 + 60 + 60);
  });

  describe('round trips', () => {
    it('costs one call per admitted request when this instance guessed the branch', async () => {
      const time = clock();
      const tenant = freshTenant();
      const limiter = limiterOn({ now: time.now });

      counting.reset();
      await limiter.check(tenant); // absent bucket, guessed idle
      await limiter.check(tenant); // busy, known from the previous answer
      await limiter.check(tenant);
      expect(counting.calls()).toBe(3);

      time.advance(5_000); // past TAT: idle again, and the remembered TAT says so
      counting.reset();
      await limiter.check(tenant);
      expect(counting.calls()).toBe(1);
    });

    it('costs a second call only when the guess was wrong, and the failed write tells the right branch', async () => {
      const time = clock();
      const tenant = freshTenant();
      const warm = limiterOn({ now: time.now });
      await warm.check(tenant);

      const cold = limiterOn({ now: time.now });
      counting.reset();
      expect((await cold.check(tenant)).outcome).toBe('admitted'); // guessed idle, bucket busy
      expect(counting.calls()).toBe(2);
      counting.reset();
      await cold.check(tenant); // now it knows
      expect(counting.calls()).toBe(1);
    });

    it('rejects in one call without reading: the failed write returns the state and with it Retry-After', async () => {
      const time = clock();
      const tenant = freshTenant();
      const policy = { ratePerMinute: 6, burst: 2 };
      await checkMany(limiterOn({ now: time.now, policy }), tenant, 2);

      const cold = limiterOn({ now: time.now, policy });
      counting.reset();
      expect(await cold.check(tenant)).toMatchObject({ outcome: 'rejected', retryAfterSeconds: 10, answeredFrom: 'store' });
      expect(counting.calls()).toBe(1);
    });

    it('answers a tenant it knows is over the limit from memory until Retry-After passes', async () => {
      const time = clock();
      const tenant = freshTenant();
      const limiter = limiterOn({ now: time.now, policy: { ratePerMinute: 6, burst: 2 } });
      await checkMany(limiter, tenant, 2);

      counting.reset();
      const flood = await checkMany(limiter, tenant, 50);
      expect(flood.every((d) => d.outcome === 'rejected' && d.answeredFrom === 'memory')).toBe(true);
      expect(flood[0]).toMatchObject({ retryAfterSeconds: 10 });
      expect(counting.calls()).toBe(0);

      time.advance(10_000);
      expect((await limiter.check(tenant)).outcome).toBe('admitted');
      expect(counting.calls()).toBe(1);
    });

    it('writes for every rejection when the over-limit cache is off', async () => {
      const time = clock();
      const tenant = freshTenant();
      const limiter = limiterOn({ now: time.now, policy: { ratePerMinute: 6, burst: 2 }, overLimitCache: false });
      await checkMany(limiter, tenant, 2);
      counting.reset();
      const rejected = await checkMany(limiter, tenant, 5);
      expect(rejected.every((d) => d.outcome === 'rejected' && d.answeredFrom === 'store')).toBe(true);
      expect(counting.calls()).toBe(5);
    });
  });

  describe('per-tenant overrides', () => {
    it('applies an override stored on the bucket item, with no extra round trip', async () => {
      const time = clock();
      const tenant = freshTenant();
      await setRateLimitOverride({ client: counting.client, tableName: rateLimitTable(), tenant }, { ratePerMinute: 10, burst: 3 });
      const limiter = limiterOn({ now: time.now });

      counting.reset();
      const decisions: RateLimitDecision[] = [];
      for (let request = 0; request < 5; request += 1) decisions.push(await limiter.check(tenant));
      expect(decisions.map((d) => d.outcome)).toEqual(['admitted', 'admitted', 'admitted', 'rejected', 'rejected']);
      expect(decisions.every((d) => d.policy.ratePerMinute === 10 && d.policy.burst === 3)).toBe(true);
      expect(decisions[3]).toMatchObject({ retryAfterSeconds: 6 });
      // One write per admission; the last admission already showed the bucket empty.
      expect(counting.calls()).toBe(3);
    });

    it('takes effect at once on a drained bucket, and removal restores the default', async () => {
      const time = clock();
      const tenant = freshTenant();
      const limiter = limiterOn({ now: time.now, overLimitCache: false });
      expect(admittedCount(await checkMany(limiter, tenant, 110))).toBe(100);

      const target = { client: counting.client, tableName: rateLimitTable(), tenant };
      await setRateLimitOverride(target, { ratePerMinute: 100, burst: 150 });
      expect(admittedCount(await checkMany(limiter, tenant, 80))).toBe(50);

      await removeRateLimitOverride(target, perMinute100, time.now());
      // TAT ran 150 intervals ahead under the override: 90 s until the bucket is full again.
      time.advance(90_000);
      const afterRemoval = await checkMany(limiter, tenant, 200);
      expect(admittedCount(afterRemoval)).toBe(100);
      expect(afterRemoval[0]?.policy).toEqual(perMinute100);
    });

    it('pins the item against TTL while it carries an override', async () => {
      const time = clock();
      const tenant = freshTenant();
      await setRateLimitOverride({ client: counting.client, tableName: rateLimitTable(), tenant }, { ratePerMinute: 10, burst: 3 });
      await limiterOn({ now: time.now }).check(tenant);
      const item = await readBucketItem(counting.client, bucketKey(tenant, 0, 1));
      expect(item?.expiresAt).toBe(item?.pinnedExpiresAt);
      expect(item?.expiresAt).toBeGreaterThan(t0 / 1000 + 365 * 24 * 3600);
    });
  });

  describe('sharded tenants', () => {
    it('never admits more than N·⌈B/N⌉ under 500 concurrent requests', async () => {
      const time = clock();
      const tenant = freshTenant();
      const instances = Array.from({ length: 5 }, () => limiterOn({ now: time.now, shards: 8 }));
      const decisions = (await Promise.all(instances.map((instance) => checkMany(instance, tenant, 100)))).flat();
      // 8 shards of ⌈100/8⌉ = 13 tokens: the burst grows by at most N − 1.
      expect(admittedCount(decisions)).toBeLessThanOrEqual(104);
      expect(admittedCount(decisions)).toBeGreaterThanOrEqual(100);
    });

    it('skips shards this instance knows are empty before refusing', async () => {
      vi.spyOn(Math, 'random').mockReturnValue(0); // every instance starts its round robin at shard 0
      const time = clock();
      const tenant = freshTenant();
      const options = { now: time.now, shards: 2, policy: { ratePerMinute: 60, burst: 6 } };
      // Three other instances, one request each, all on shard 0: it is empty, shard 1 is full.
      for (let instance = 0; instance < 3; instance += 1) expect((await limiterOn(options).check(tenant)).outcome).toBe('admitted');

      const limiter = limiterOn(options);
      const decisions: RateLimitDecision[] = [];
      for (let request = 0; request < 5; request += 1) decisions.push(await limiter.check(tenant));
      expect(decisions.map((d) => (d.outcome === 'rejected' ? `rejected by ${d.answeredFrom}` : d.outcome))).toEqual([
        'rejected by store', // learns that shard 0 is empty
        'admitted',
        'admitted', // its turn was shard 0 again: skipped
        'admitted',
        'rejected by memory', // both shards known empty
      ]);
    });
  });

  describe('when DynamoDB is unavailable', () => {
    it('reports the failure with a log line and a metric, and tells the fail mode', async () => {
      const logged = vi.spyOn(rateLimitLogger, 'error');
      const metric = { addDimension: vi.fn(), addMetric: vi.fn() };
      vi.spyOn(rateLimitMetrics, 'singleMetric').mockReturnValue(metric as unknown as typeof rateLimitMetrics);
      const tenant = freshTenant();
      const client = await unreachableClient();
      for (const failMode of ['open', 'closed'] as const) {
        const limiter = createRateLimiter({ policy: perMinute100, failMode, client, tableName: rateLimitTable() });
        expect(await limiter.check(tenant)).toEqual({ outcome: 'store-unavailable', policy: perMinute100, failMode });
      }
      expect(logged).toHaveBeenCalledWith('Rate limit store unavailable', expect.objectContaining({ tenant, failMode: 'open' }));
      expect(metric.addMetric).toHaveBeenCalledWith(metricServices.rateLimit.metrics.storeUnavailable, 'Count', 1);
      expect(metric.addDimension).toHaveBeenCalledWith('failMode', 'closed');
      client.destroy();
    });

    it('gives up on a hung store after timeoutMs instead of holding the request', async () => {
      const { client, server } = await hangingClient();
      const limiter = createRateLimiter({ policy: perMinute100, failMode: 'open', client, tableName: rateLimitTable(), timeoutMs: 50 });
      expect((await limiter.check(freshTenant())).outcome).toBe('store-unavailable');
      client.destroy();
      server.close();
    });

    it('answers a DynamoDB service error with the fail mode too, and reports it with its cause', async () => {
      const logged = vi.spyOn(rateLimitLogger, 'error');
      const tenant = freshTenant();
      for (const failMode of ['open', 'closed'] as const) {
        const limiter = createRateLimiter({ policy: perMinute100, failMode, client: counting.client, tableName: 'no-such-table' });
        expect(await limiter.check(tenant)).toEqual({ outcome: 'store-unavailable', policy: perMinute100, failMode });
      }
      const reported = logged.mock.calls.map(([, details]) => (details as { error?: unknown }).error);
      expect(reported).toHaveLength(2);
      for (const error of reported) {
        expect(error).toBeInstanceOf(StoreUnavailableError);
        expect((error as StoreUnavailableError).cause).toMatchObject({ name: 'ResourceNotFoundException' });
      }
    });
  });

  describe('when the limiter itself goes wrong', () => {
    /** Counts what reports an unavailable store: the log line and the metric. */
    const storeUnavailableReports = (): (() => number) => {
      const logged = vi.spyOn(rateLimitLogger, 'error');
      const metrics = vi.spyOn(rateLimitMetrics, 'singleMetric');
      return () => logged.mock.calls.length + metrics.mock.calls.length;
    };

    const overrideTiming = timingOf({ ratePerMinute: 10, burst: 3 });

    it.each([
      {
        answer: 'an item with an override and no bucket state',
        item: { ratePerMinute: 10, burst: 3, intervalUs: overrideTiming.intervalUs, gateOffsetUs: overrideTiming.gateOffsetUs },
        message: /no state after a successful write/,
      },
      { answer: 'no item', item: undefined, message: /returned no bucket state/ },
    ])('propagates a successful write that returned $answer, in either fail mode', async ({ item, message }) => {
      const reports = storeUnavailableReports();
      const { client } = answeringClient({ item });
      for (const failMode of ['open', 'closed'] as const) {
        const limiter = createRateLimiter({ policy: perMinute100, failMode, client, tableName: rateLimitTable() });
        await expect(limiter.check(freshTenant())).rejects.toThrow(message);
      }
      expect(reports()).toBe(0);
    });

    it('propagates running out of conditional writes: DynamoDB answered each one, so the store is not unavailable', async () => {
      const reports = storeUnavailableReports();
      // Each write fails its condition on a bucket that is not there, so the bucket keeps looking idle.
      const dynamodb = answeringClient({
        error: new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      });
      const limiter = createRateLimiter({ policy: perMinute100, failMode: 'open', client: dynamodb.client, tableName: rateLimitTable() });
      await expect(limiter.check(freshTenant())).rejects.toThrow(/changed state on each of 3 conditional writes/);
      expect(dynamodb.writes()).toBe(3);
      expect(reports()).toBe(0);
    });
  });
});
