import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { functions } from '../../lambdas/topology.js';
import { createLambdaContext } from '../../local/lambda-context.js';
import { functionUrlEvent } from '../../local/proxy-events.js';

/** A request to the sandbox's /charges route, JSON unless the test says otherwise. */
export const sandboxEvent = (request: {
  method: string;
  path?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  body?: string;
}) =>
  functionUrlEvent({
    path: '/charges',
    domainName: 'processor.test',
    ...request,
    headers: { 'content-type': 'application/json', ...request.headers },
  });

export interface ChargeBody {
  amount: number;
  currency: string;
  source: string;
  description?: string;
}

export const chargeEvent = (idempotencyKey: string, body: ChargeBody): APIGatewayProxyEventV2 =>
  sandboxEvent({ method: 'POST', headers: { 'idempotency-key': idempotencyKey }, body: JSON.stringify(body) });

export const listEvent = (query: Record<string, string>): APIGatewayProxyEventV2 => sandboxEvent({ method: 'GET', query });

export const processorContext = (): Context =>
  createLambdaContext('processor', functions.processor.timeoutSeconds, functions.processor.memoryMb);

export const newKey = (): string => `test-${randomUUID()}`;
