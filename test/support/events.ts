import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { createLambdaContext } from '../../local/lambda-context.js';

export interface ApiEventInput {
  readonly method?: string;
  /** The route template, e.g. /v1/charges/{id}. */
  readonly resource?: string;
  readonly path?: string;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
  readonly pathParameters?: Record<string, string>;
  readonly query?: Record<string, string>;
}

/** An API Gateway REST proxy event as the local gateway (and API Gateway) builds it. */
export const apiEvent = (input: ApiEventInput = {}): APIGatewayProxyEvent => {
  const resource = input.resource ?? '/v1/things';
  const headers = { 'Content-Type': 'application/json', ...input.headers };
  return {
    resource,
    path: input.path ?? resource,
    httpMethod: input.method ?? 'POST',
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    queryStringParameters: input.query ?? null,
    multiValueQueryStringParameters: null,
    pathParameters: input.pathParameters ?? null,
    stageVariables: null,
    body: input.body === undefined ? null : typeof input.body === 'string' ? input.body : JSON.stringify(input.body),
    isBase64Encoded: false,
    requestContext: {} as APIGatewayProxyEvent['requestContext'],
  };
};

/** A Lambda context whose remaining time counts down from the given timeout. */
export const lambdaContext = (timeoutMs = 15_000): Context => createLambdaContext('test', timeoutMs / 1000, 128);

export const uniqueKey = (): string => `key-${randomUUID()}`;
