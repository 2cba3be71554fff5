import middy from '@middy/core';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { authenticate, type TenantContext } from '../../lambdas/auth/authenticate.js';
import { errorResponses } from '../../lambdas/http/error-responses.js';
import { ProblemError } from '../../lambdas/http/problem.js';
import { type ApiGatewayEvent, type HttpResponse, jsonResponse } from '../../lambdas/http/types.js';
import { rateLimit, type RateLimitOptions } from '../../lambdas/rate-limit/middleware.js';
import { rateLimitLogger, rateLimitMetrics } from '../../lambdas/rate-limit/telemetry.js';
import type { AccountId } from '../../lambdas/shared/ids.js';
import { metricServices } from '../../lambdas/shared/metric-names.js';
import { createLambdaContext } from '../../local/lambda-context.js';
import { restApiEvent } from '../../local/proxy-events.js';
import { answeringClient, countingClient, freshTenant, rateLimitTable, unreachableClient } from './clients.js';

const counting = countingClient();
// Real time in whole seconds: see limiter.test.ts on DynamoDB Local's TTL.
const t0 = Math.floor(Date.now() / 1000) * 1000;

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

afterAll(() => {
  counting.client.destroy();
});

const apiEvent = (method: string, resource: string, authorization: string | undefined): ApiGatewayEvent =>
  restApiEvent({ method, resource, ...(authorization === undefined ? {} : { headers: { Authorization: authorization } }) });

/** The chain the lead composes: authenticate → rateLimit → errorResponses around a handler. */
const pipeline = (tenant: AccountId, options: RateLimitOptions, handle = () => Promise.resolve(jsonResponse(200, { ok: true }))) => {
  const handler = middy<ApiGatewayEvent, HttpResponse, Error, TenantContext>(handle)
    .use(
      authenticate({ lookup: (apiKey) => Promise.resolve(apiKey === 'good-key' ? { account: tenant, endsAtMs: undefined } : undefined) }),
    )
    .use(rateLimit({ client: counting.client, tableName: rateLimitTable(), now: () => t0, timeoutMs: 25_000, ...options }))
    .use(errorResponses());
  return (event: ApiGatewayEvent = apiEvent('GET', '/v1/balance', 'Bearer good-key')) =>
    handler(event, createLambdaContext('account', 10, 512) as TenantContext);
};

const bodyOf = (response: HttpResponse): Record<string, unknown> => JSON.parse(response.body) as Record<string, unknown>;

describe('rateLimit middleware', () => {
  it('puts RateLimit-Policy and RateLimit on every admitted response, the remaining quota falling', async () => {
    const call = pipeline(freshTenant(), {});
    const responses = [await call(), await call(), await call()];
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    expect(responses.map((r) => r.headers['RateLimit-Policy'])).toEqual(Array(3).fill('"default";q=100;w=60'));
    expect(responses.map((r) => r.headers.RateLimit)).toEqual(['"default";r=99;t=1', '"default";r=98;t=1', '"default";r=97;t=1']);
  });

  it('refuses an empty bucket with a 429 problem whose Retry-After matches the RateLimit window', async () => {
    const handle = vi.fn(() => Promise.resolve(jsonResponse(200, { ok: true })));
    const call = pipeline(freshTenant(), { policy: { ratePerMinute: 6, burst: 2 } }, handle);
    await call();
    const last = await call();
    expect(last.headers.RateLimit).toBe('"default";r=0;t=10');

    const refused = await call();
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['Content-Type']).toBe('application/problem+json');
    expect(refused.headers['Retry-After']).toBe('10');
    expect(refused.headers.RateLimit).toBe('"default";r=0;t=10');
    expect(refused.headers['RateLimit-Policy']).toBe('"default";q=6;w=60;retrysafe-burst=2');
    expect(bodyOf(refused)).toMatchObject({
      type: 'https://retrysafe.dev/problems/rate-limited',
      status: 429,
      'violated-policies': ['default'],
    });
    expect(handle).toHaveBeenCalledTimes(2);
  });

  it('counts each refused request under its route, and only refused ones', async () => {
    const metric = { addDimension: vi.fn(), addMetric: vi.fn() };
    vi.spyOn(rateLimitMetrics, 'singleMetric').mockReturnValue(metric as unknown as typeof rateLimitMetrics);
    const call = pipeline(freshTenant(), { policy: { ratePerMinute: 6, burst: 1 } });
    const event = apiEvent('POST', '/v1/charges', 'Bearer good-key');
    expect((await call(event)).statusCode).toBe(200);
    expect(metric.addMetric).not.toHaveBeenCalled();
    expect((await call(event)).statusCode).toBe(429);
    expect(metric.addDimension).toHaveBeenCalledWith('route', 'POST /v1/charges');
    expect(metric.addMetric).toHaveBeenCalledWith(metricServices.rateLimit.metrics.rateLimited, 'Count', 1);
  });

  it('decorates error responses built by errorResponses too', async () => {
    const call = pipeline(freshTenant(), {}, () => Promise.reject(new ProblemError('not-found', { detail: 'No such charge' })));
    const response = await call();
    expect(response.statusCode).toBe(404);
    expect(response.headers.RateLimit).toBe('"default";r=99;t=1');
  });

  it('spends nothing and adds nothing when authentication fails', async () => {
    const call = pipeline(freshTenant(), {});
    counting.reset();
    const response = await call(apiEvent('GET', '/v1/balance', 'Bearer wrong-key'));
    expect(response.statusCode).toBe(401);
    expect(response.headers.RateLimit).toBeUndefined();
    expect(counting.calls()).toBe(0);
  });

  it('lets an exempt route through without a token or headers', async () => {
    const call = pipeline(freshTenant(), { exemptRoutes: ['GET /v1/events'] });
    counting.reset();
    const response = await call(apiEvent('GET', '/v1/events', 'Bearer good-key'));
    expect(response.statusCode).toBe(200);
    expect(response.headers['RateLimit-Policy']).toBeUndefined();
    expect(counting.calls()).toBe(0);
  });

  it('reads RATE_LIMIT_PER_MINUTE and RATE_LIMIT_BURST from the environment', async () => {
    vi.stubEnv('RATE_LIMIT_PER_MINUTE', '30');
    vi.stubEnv('RATE_LIMIT_BURST', '5');
    const response = await pipeline(freshTenant(), {})();
    expect(response.headers['RateLimit-Policy']).toBe('"default";q=30;w=60;retrysafe-burst=5');
    expect(response.headers.RateLimit).toBe('"default";r=4;t=2');
  });

  it('refuses a malformed configuration when the middleware is built', () => {
    vi.stubEnv('RATE_LIMIT_FAIL_MODE', 'sometimes');
    expect(() => rateLimit()).toThrow(/RATE_LIMIT_FAIL_MODE/);
    vi.stubEnv('RATE_LIMIT_FAIL_MODE', 'open');
    vi.stubEnv('RATE_LIMIT_PER_MINUTE', '0');
    expect(() => rateLimit()).toThrow(/requests per minute/);
  });

  describe('when DynamoDB is unavailable', () => {
    it('fails open by default: the request is served, with the policy but no quota it cannot know', async () => {
      vi.spyOn(rateLimitLogger, 'error').mockImplementation(() => undefined);
      const client = await unreachableClient();
      const response = await pipeline(freshTenant(), { client })();
      expect(response.statusCode).toBe(200);
      expect(response.headers['RateLimit-Policy']).toBe('"default";q=100;w=60');
      expect(response.headers.RateLimit).toBeUndefined();
      client.destroy();
    });

    it('fails closed with RATE_LIMIT_FAIL_MODE=closed: a 503 problem with Retry-After', async () => {
      vi.spyOn(rateLimitLogger, 'error').mockImplementation(() => undefined);
      vi.stubEnv('RATE_LIMIT_FAIL_MODE', 'closed');
      const client = await unreachableClient();
      const handle = vi.fn(() => Promise.resolve(jsonResponse(200, { ok: true })));
      const response = await pipeline(freshTenant(), { client }, handle)();
      expect(response.statusCode).toBe(503);
      expect(response.headers['Retry-After']).toBe('1');
      expect(bodyOf(response)).toMatchObject({ type: 'https://retrysafe.dev/problems/service-unavailable' });
      expect(handle).not.toHaveBeenCalled();
      client.destroy();
    });
  });

  it('answers a bug in the limiter with a 500 problem in either fail mode, never as an unavailable store', async () => {
    const logged = vi.spyOn(rateLimitLogger, 'error');
    // A successful write that returns no item: an invariant broken, not a store that failed to answer.
    const { client } = answeringClient({ item: undefined });
    const handle = vi.fn(() => Promise.resolve(jsonResponse(200, { ok: true })));
    for (const failMode of ['open', 'closed'] as const) {
      const response = await pipeline(freshTenant(), { client, failMode }, handle)();
      expect(response.statusCode).toBe(500);
      expect(bodyOf(response)).toMatchObject({ type: 'https://retrysafe.dev/problems/internal-error', status: 500 });
    }
    expect(handle).not.toHaveBeenCalled();
    expect(logged).not.toHaveBeenCalled();
  });
});
