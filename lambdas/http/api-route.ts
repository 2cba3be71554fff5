import middy, { type MiddlewareObj, type Request as MiddyRequest } from '@middy/core';
import type { ZodType } from 'zod';
import {
  type ActiveIdempotency,
  type CommittableResponse,
  idempotency,
  type IdempotencyContext,
  type IdempotencyEngine,
  type IdempotencyKey,
} from '@retrysafe/idempotency';
import { authenticate, type TenantContext } from '../auth/authenticate.js';
import { rateLimit } from '../rate-limit/middleware.js';
import type { AccountId } from '../shared/ids.js';
import { idempotencyEngineFor } from '../shared/idempotency-engine.js';
import { emfRecorder, type MetricRecorder } from '../shared/metric-recorder.js';
import { addRequestLogContext, withRequestLogContext } from '../shared/request-log-context.js';
import { claimsIdempotencyKeys, type FunctionName, type RouteKey } from '../topology.js';
import { deadlineOf, realTimers, type RequestDeadline, type Schedule } from './deadline.js';
import { errorResponses } from './error-responses.js';
import { observeKeyedRequest } from './idempotency-telemetry.js';
import { jsonBody, type ParsedBodyEvent } from './json-body.js';
import { answerOfThrown } from './problem.js';
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
  /** When the request must stop working; a handler waits on the processor through it. */
  readonly deadline: RequestDeadline;
}

/** The context the route's chains share: the caller, its key, and the request's deadline. */
type RouteContext = TenantContext & IdempotencyContext & { deadline: RequestDeadline };

export interface ApiRouteSpec<TBody> {
  readonly route: RouteKey;
  /** Schema of the JSON body; routes without one take no body. */
  readonly body?: ZodType<TBody>;
  /** POST routes honour an Idempotency-Key when present; money-moving routes require one. */
  readonly idempotencyKey?: 'required' | 'optional';
  /**
   * For a route whose handler reaches the card processor: what finishes the request without its
   * client, from its validated body. The key's claim keeps it as a recovery point (see
   * packages/idempotency/src/engine.ts) that the completer drives to an end if nobody retries.
   */
  readonly recovery?: (request: {
    readonly body: TBody;
    readonly tenant: AccountId;
    readonly key: IdempotencyKey;
    readonly pathParameters: Readonly<Record<string, string | undefined>> | null;
    /** API Gateway's id of the request that claimed the key: what finishes it names it as the origin. */
    readonly requestId: string;
  }) => Readonly<Record<string, unknown>>;
  /**
   * An answer given before the key is claimed, when the route cannot run in this region (see
   * lambdas/payments/refund-region.ts); nothing is executed or stored. Undefined: go on.
   */
  readonly refuseHere?: (request: {
    readonly tenant: AccountId;
    readonly pathParameters: Readonly<Record<string, string | undefined>> | null;
  }) => Promise<HttpResponse | undefined>;
  readonly handle: (input: RouteInput<TBody>) => Promise<HttpResponse | CommittableResponse>;
}

/**
 * What every authenticated route of one function shares, built once per container: the API-key
 * cache, the rate limiter's memory of buckets and over-limit tenants, and the idempotency
 * engine with its cache of completed keys.
 */
export interface ApiPipeline {
  readonly authenticate: MiddlewareObj<ApiGatewayEvent, unknown, Error, TenantContext>;
  readonly rateLimit: MiddlewareObj<ApiGatewayEvent, HttpResponse, Error, TenantContext>;
  /** Present when the function serves a POST route: only those claim keys. */
  readonly idempotency: IdempotencyEngine | undefined;
  /** The timers of each request's deadline. */
  readonly schedule: Schedule;
  /** Where each request's idempotency outcomes are counted. */
  readonly idempotencyMetrics: MetricRecorder<'idempotency'>;
}

export const apiPipelineFromEnvironment = (
  fn: FunctionName,
  options: { readonly now?: () => number; readonly schedule?: Schedule; readonly idempotencyMetrics?: MetricRecorder<'idempotency'> } = {},
): ApiPipeline => ({
  authenticate: authenticate(),
  rateLimit: rateLimit(),
  idempotency: claimsIdempotencyKeys(fn) ? idempotencyEngineFor(fn, options) : undefined,
  schedule: options.schedule ?? realTimers,
  idempotencyMetrics: options.idempotencyMetrics ?? emfRecorder('idempotency'),
});

/** Once authenticated, the request's logs name its tenant. */
const tenantLogContext: MiddlewareObj<ApiGatewayEvent, HttpResponse, Error, TenantContext> = {
  before: (request) => {
    addRequestLogContext({ tenant: request.context.tenant });
  },
};

/**
 * The one pipeline every authenticated API route runs, in two Middy chains:
 *
 *   outer: authenticate → rateLimit → (inner chain) ; errorResponses turns anything thrown into
 *          RFC 9457, and rateLimit puts its RateLimit headers on every answer
 *   inner: jsonBody → refuseHere → idempotency → handle
 *
 * So a request refused by authentication, the rate limit or validation never claims its key.
 *
 * Every request answers before its function's deadline (deadline.ts): at the work deadline the
 * handler is abandoned with a 503 that the idempotency middleware treats as any 5xx (a claim is
 * released, a recovery point suspended); at the answer deadline whatever still pends is answered
 * 503. Middy's own timeout is off: it throws a plain error 5 ms before the deadline, which left
 * no time to end the claim and answered 500.
 *
 * The split exists because Middy skips the `after` stack of a chain whose `before` answers
 * early: an idempotent replay or a 409 ends the inner chain early, yet still passes through
 * the outer chain's `after`, so response decorations there apply to every answer.
 */
export const apiRoute = <TBody = undefined>(pipeline: ApiPipeline, spec: ApiRouteSpec<TBody>): RouteHandler => {
  const isPost = spec.route.startsWith('POST ');
  const observeKey = observeKeyedRequest(pipeline.idempotencyMetrics, spec.route);
  const handle = (event: ParsedBodyEvent<TBody>, context: RouteContext) =>
    context.deadline.race(
      spec.handle({
        body: event.body,
        tenant: context.tenant,
        event,
        context,
        idempotency: context.idempotency,
        deadline: context.deadline,
      }),
    );
  const inner = middy<ParsedBodyEvent<TBody>, HttpResponse, Error, RouteContext>(handle, noMiddyTimeout);
  if (spec.body !== undefined) inner.use(jsonBody(spec.body));
  const { refuseHere } = spec;
  if (refuseHere !== undefined)
    inner.use({
      before: (request: MiddyRequest<ParsedBodyEvent<TBody>, HttpResponse, Error, RouteContext>) =>
        refuseHere({ tenant: request.context.tenant, pathParameters: request.event.pathParameters }),
    } satisfies MiddlewareObj<ParsedBodyEvent<TBody>, HttpResponse, Error, RouteContext>);
  if (isPost) {
    if (pipeline.idempotency === undefined)
      throw new Error(`${spec.route} claims Idempotency-Keys, but its function's pipeline has no engine`);
    inner.use(
      idempotency<ParsedBodyEvent<TBody>, TenantContext>({
        engine: pipeline.idempotency,
        required: spec.idempotencyKey === 'required',
        scope: (_event, context) => context.tenant,
        observer: (_event, _context, key) => observeKey(key),
        thrownOutcome: answerOfThrown,
        ...(spec.recovery === undefined
          ? {}
          : {
              recovery: (event: ParsedBodyEvent<TBody>, context: TenantContext, key: IdempotencyKey) =>
                spec.recovery?.({
                  body: event.body,
                  tenant: context.tenant,
                  key,
                  pathParameters: event.pathParameters,
                  requestId: event.requestContext.requestId,
                }) ?? {},
            }),
      }),
    );
  }
  const outer = middy<ApiGatewayEvent, HttpResponse, Error, RouteContext>(
    inner as unknown as (event: ApiGatewayEvent, context: RouteContext) => Promise<HttpResponse>,
    noMiddyTimeout,
  )
    .use(pipeline.authenticate)
    .use(tenantLogContext)
    .use(pipeline.rateLimit)
    .use(errorResponses());
  return (event, context) =>
    withRequestLogContext({ requestId: context.awsRequestId, apiRequestId: event.requestContext.requestId }, async () => {
      const deadline = deadlineOf(context, pipeline.schedule);
      try {
        return await deadline.answerBy(outer(event, Object.assign(context, { deadline }) as RouteContext), context.awsRequestId);
      } finally {
        deadline.cancel();
      }
    });
};

const noMiddyTimeout = { timeoutEarlyInMillis: 0 };
