import middy from '@middy/core';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { errorResponses } from '../../lambdas/http/error-responses.js';
import type { HttpResponse } from '../../lambdas/http/types.js';
import { idempotency, type IdempotencyContext, type IdempotencyOptions } from '../../lambdas/idempotency/index.js';
import type { CommittableResponse } from '../../lambdas/idempotency/atomic-commit.js';

export type TestHandler = (event: APIGatewayProxyEvent, context: IdempotencyContext) => Promise<HttpResponse | CommittableResponse>;

/** A handler wrapped the way a library user would: Middy, the middleware, and problem+json errors. */
export const wrap = (handler: TestHandler, options: IdempotencyOptions<APIGatewayProxyEvent> = {}) =>
  middy<APIGatewayProxyEvent, HttpResponse, Error, Context & IdempotencyContext>(handler)
    .use(idempotency<APIGatewayProxyEvent>({ scope: () => 'tenant-a', ...options }))
    .use(errorResponses()) as unknown as (event: APIGatewayProxyEvent, context: Context) => Promise<HttpResponse>;

export const deferred = <T = void>() => {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
};
