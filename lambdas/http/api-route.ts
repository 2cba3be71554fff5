import middy from '@middy/core';
import type { ZodType } from 'zod';
import { authenticate, type TenantContext } from '../auth/authenticate.js';
import { idempotency, type ActiveIdempotency, type IdempotencyContext } from '../idempotency/index.js';
import type { CommittableResponse } from '../idempotency/atomic-commit.js';
import { rateLimit } from '../rate-limit/middleware.js';
import type { AccountId } from '../shared/ids.js';
import { functions, routes, type RouteKey } from '../topology.js';
import { errorResponses } from './error-responses.js';
import { jsonBody, type ParsedBodyEvent } from './json-body.js';
import type { RouteHandler } from './router.js';
import type { ApiGatewayEvent, HttpResponse } from './types.js';

/** Everything a route handler needs, already authenticated, validated and claimed. */
export interface RouteInput<TBody> {
  readonly body: TBody;
  readonly tenant: AccountId;
  readonly event: ParsedBodyEvent<TBody>;
  readonly context: TenantContext;
  /** The request's Idempotency-Key, when it sent one on a route that honours it. */
  readonly idempotency: ActiveIdempotency | undefined;
}

export interface ApiRouteSpec<TBody> {
  readonly route: RouteKey;
  /** Schema of the JSON body; routes without one take no body. */
  readonly body?: ZodType<TBody>;
  /** POST routes honour an Idempotency-Key when present; money-moving routes require one. */
  readonly idempotencyKey?: 'required' | 'optional';
  /** Wait this long for an in-flight first request instead of answering 409. */
  readonly waitForInFlightMs?: number;
  /** The clock leases and expiries are measured by; tests move it to expire a lease. */
  readonly now?: () => number;
  readonly handle: (input: RouteInput<TBody>) => Promise<HttpResponse | CommittableResponse>;
}

const functionTimeoutMs = (route: RouteKey): number => {
  const spec = routes.find((candidate) => `${candidate.method} ${candidate.path}` === route);
  if (spec === undefined) throw new Error(`${route} is not a route of the topology`);
  return functions[spec.function].timeoutSeconds * 1000;
};

/**
 * One limiter per Lambda module: every route of the function shares its memory of buckets and
 * of over-limit tenants. The table name is read on first use.
 */
const limitTenant = rateLimit();

/**
 * The one pipeline every authenticated API route runs, in two Middy chains:
 *
 *   outer: authenticate → rateLimit → (inner chain) ; errorResponses turns anything thrown into
 *          RFC 9457, and rateLimit puts its RateLimit headers on every answer
 *   inner: jsonBody → idempotency → handle
 *
 * So a request refused by authentication, the rate limit or validation never claims its key.
 *
 * The split exists because Middy skips the `after` stack of a chain whose `before` answers
 * early: an idempotent replay or a 409 ends the inner chain early, yet still passes through
 * the outer chain's `after`, so response decorations there apply to every answer.
 */
export const apiRoute = <TBody = undefined>(spec: ApiRouteSpec<TBody>): RouteHandler => {
  const isPost = spec.route.startsWith('POST ');
  const handle = (event: ParsedBodyEvent<TBody>, context: TenantContext & IdempotencyContext) =>
    spec.handle({ body: event.body, tenant: context.tenant, event, context, idempotency: context.idempotency });
  const inner = middy<ParsedBodyEvent<TBody>, HttpResponse, Error, TenantContext & IdempotencyContext>(handle);
  if (spec.body !== undefined) inner.use(jsonBody(spec.body));
  if (isPost) {
    inner.use(
      idempotency<ParsedBodyEvent<TBody>, TenantContext>({
        required: spec.idempotencyKey === 'required',
        scope: (_event, context) => context.tenant,
        functionTimeoutMs: functionTimeoutMs(spec.route),
        ...(spec.waitForInFlightMs === undefined ? {} : { wait: { timeoutMs: spec.waitForInFlightMs } }),
        ...(spec.now === undefined ? {} : { now: spec.now }),
      }),
    );
  }
  const outer = middy<ApiGatewayEvent, HttpResponse, Error, TenantContext>(
    inner as unknown as (event: ApiGatewayEvent, context: TenantContext) => Promise<HttpResponse>,
  )
    .use(authenticate())
    .use(limitTenant)
    .use(errorResponses());
  return outer as unknown as RouteHandler;
};
