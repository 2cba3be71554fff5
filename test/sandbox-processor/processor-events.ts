import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { functions } from '../../lambdas/topology.js';
import { createLambdaContext } from '../../local/lambda-context.js';

/** Function URL (payload 2.0) events as Lambda delivers them to the processor. */
export const functionUrlEvent = (request: {
  method: string;
  path?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  body?: string;
}): APIGatewayProxyEventV2 => {
  const path = request.path ?? '/charges';
  const query = new URLSearchParams(request.query ?? {}).toString();
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: query,
    headers: { 'content-type': 'application/json', ...request.headers },
    ...(request.query === undefined ? {} : { queryStringParameters: request.query }),
    requestContext: {
      accountId: '000000000000',
      apiId: 'test',
      domainName: 'processor.test',
      domainPrefix: 'processor',
      http: { method: request.method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
    ...(request.body === undefined ? {} : { body: request.body }),
    isBase64Encoded: false,
  };
};

export interface ChargeBody {
  amount: number;
  currency: string;
  source: string;
  description?: string;
}

export const chargeEvent = (idempotencyKey: string, body: ChargeBody): APIGatewayProxyEventV2 =>
  functionUrlEvent({ method: 'POST', headers: { 'idempotency-key': idempotencyKey }, body: JSON.stringify(body) });

export const listEvent = (query: Record<string, string>): APIGatewayProxyEventV2 => functionUrlEvent({ method: 'GET', query });

export const processorContext = (): Context =>
  createLambdaContext('processor', functions.processor.timeoutSeconds, functions.processor.memoryMb);

export const newKey = (): string => `test-${randomUUID()}`;
