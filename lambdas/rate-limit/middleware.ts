import type { MiddlewareObj, Request } from '@middy/core';
import type { TenantContext } from '../auth/authenticate.js';
import { ProblemError } from '../http/problem.js';
import type { ApiGatewayEvent, HttpResponse } from '../http/types.js';
import type { RouteKey } from '../topology.js';
import { rateLimitSettingsFromEnv } from './config.js';
import { policyName, rateLimitHeaders } from './headers.js';
import { createRateLimiter, type RateLimitDecision, type RateLimiterOptions } from './limiter.js';
import { reportRateLimited } from './telemetry.js';

export interface RateLimitOptions extends Partial<RateLimiterOptions> {
  /** Routes that spend no tokens and carry no RateLimit headers. */
  readonly exemptRoutes?: readonly RouteKey[];
}

type RateLimitRequest = Request<ApiGatewayEvent, HttpResponse, Error, TenantContext>;

const tooManyRequests = (decision: Extract<RateLimitDecision, { outcome: 'rejected' }>): ProblemError =>
  new ProblemError('rate-limited', {
    detail: `The limit is ${decision.policy.ratePerMinute} requests per minute (bursts up to ${decision.policy.burst}); retry in ${decision.retryAfterSeconds} s.`,
    // The member the draft's quota-exceeded problem type defines, naming the policy in RateLimit-Policy.
    extensions: { 'violated-policies': [policyName] },
    headers: { 'Retry-After': String(decision.retryAfterSeconds) },
  });

const limiterUnavailable = (): ProblemError =>
  new ProblemError('service-unavailable', {
    detail: 'Rate limiting is temporarily unavailable, and this API refuses requests it cannot limit; retry shortly.',
  });

/**
 * Token-bucket rate limiting per tenant, between authentication and idempotency, so a refused
 * request leaves no idempotency record. Register it after `authenticate()` and before
 * `errorResponses()`: `before` admits or throws a 429 problem; `after` and `onError` (which
 * runs once errorResponses has built the problem response, onErrors running in reverse
 * registration order) put the RateLimit fields on whatever response goes out.
 */
export const rateLimit = (options: RateLimitOptions = {}): MiddlewareObj<ApiGatewayEvent, HttpResponse, Error, TenantContext> => {
  const fromEnv = rateLimitSettingsFromEnv();
  const { exemptRoutes = [], policy = fromEnv.policy, failMode = fromEnv.failMode, ...limiterOptions } = options;
  const limiter = createRateLimiter({ ...limiterOptions, policy, failMode });
  const exempt = new Set<string>(exemptRoutes);
  // Keyed by Middy's per-invocation request object, so concurrent invocations cannot mix decisions.
  const decisions = new WeakMap<RateLimitRequest, RateLimitDecision>();

  const decorate = (request: RateLimitRequest): void => {
    const decision = decisions.get(request);
    const response = request.response;
    // Undefined at run time when nothing answered the error: leave it for Middy to rethrow.
    if (decision === undefined || !response) return;
    response.headers = { ...response.headers, ...rateLimitHeaders(decision) };
  };

  return {
    before: async (request) => {
      const route = `${request.event.httpMethod} ${request.event.resource}`;
      if (exempt.has(route)) return;
      const decision = await limiter.check(request.context.tenant);
      decisions.set(request, decision);
      if (decision.outcome === 'rejected') {
        reportRateLimited(route);
        throw tooManyRequests(decision);
      }
      if (decision.outcome === 'store-unavailable' && decision.failMode === 'closed') throw limiterUnavailable();
    },
    after: decorate,
    onError: decorate,
  };
};
