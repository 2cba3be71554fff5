import middy from '@middy/core';
import {
  type CommittableResponse,
  idempotency,
  type IdempotencyContext,
  type IdempotencyEngineOptions,
  type MiddlewareOptions,
} from '@retrysafe/idempotency';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { errorResponses } from '../../lambdas/http/error-responses.js';
import { answerOfThrown } from '../../lambdas/http/problem.js';
import type { HttpResponse } from '../../lambdas/http/types.js';
import { tableName } from '../../lambdas/shared/env.js';

export type TestHandler = (event: APIGatewayProxyEvent, context: IdempotencyContext) => Promise<HttpResponse | CommittableResponse>;

export type WrapOptions = Partial<IdempotencyEngineOptions> & MiddlewareOptions<APIGatewayProxyEvent, Context>;

/**
 * A handler wrapped the way a library user would: Middy, the middleware with its generic problem
 * answers, and the user's own error handling (here Retrysafe's problem+json errors, whose thrown
 * problems the middleware learns to read through `thrownOutcome`).
 */
export const wrap = (handler: TestHandler, options: WrapOptions = {}) =>
  middy<APIGatewayProxyEvent, HttpResponse, Error, Context & IdempotencyContext>(handler)
    .use(
      idempotency<APIGatewayProxyEvent>({
        tableName: () => tableName('idempotency'),
        scope: () => 'tenant-a',
        thrownOutcome: answerOfThrown,
        ...options,
      }),
    )
    .use(errorResponses()) as unknown as (event: APIGatewayProxyEvent, context: Context) => Promise<HttpResponse>;

export const deferred = <T = void>() => {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
};
