import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { functions } from '../../lambdas/topology.js';
import { createLambdaContext } from '../../local/lambda-context.js';
import { functionUrlEvent } from '../../local/proxy-events.js';

/** A request to one of the sandbox's routes (/charges unless the test says otherwise), JSON unless the test says otherwise. */
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
  metadata?: Record<string, string>;
}

export interface RefundBody {
  charge: string;
  amount: number;
  metadata?: Record<string, string>;
}

export type ListedPath = '/charges' | '/refunds';

export const chargeEvent = (idempotencyKey: string, body: ChargeBody): APIGatewayProxyEventV2 =>
  sandboxEvent({ method: 'POST', headers: { 'idempotency-key': idempotencyKey }, body: JSON.stringify(body) });

export const refundEvent = (idempotencyKey: string, body: RefundBody): APIGatewayProxyEventV2 =>
  sandboxEvent({ method: 'POST', path: '/refunds', headers: { 'idempotency-key': idempotencyKey }, body: JSON.stringify(body) });

export const listEvent = (query: Record<string, string>, path: ListedPath = '/charges'): APIGatewayProxyEventV2 =>
  sandboxEvent({ method: 'GET', path, query });

export const processorContext = (): Context =>
  createLambdaContext('processor', functions.processor.timeoutSeconds, functions.processor.memoryMb);

export const newKey = (): string => `test-${randomUUID()}`;
