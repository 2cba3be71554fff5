import { GetCommand } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { idempotency, type IdempotencyContext, withAtomicCommit } from '@retrysafe/idempotency';
import { dynamo } from '../../lambdas/shared/dynamodb.js';
import { tableName } from '../../lambdas/shared/env.js';
import { restApiEvent } from '../../local/proxy-events.js';
import { lambdaContext, uniqueKey } from '../support/events.js';

/** The README's library example, with this test suite's table names. */
const ordersTable = tableName('payments');

const createOrder = async (event: APIGatewayProxyEvent, context: IdempotencyContext) => {
  const order = { pk: `ord_${context.awsRequestId}`, sk: 'ORDER', ...(JSON.parse(event.body ?? '{}') as Record<string, unknown>) };
  const response = {
    statusCode: 201,
    headers: { 'Content-Type': 'application/json', Location: `/orders/${order.pk}` },
    body: JSON.stringify(order),
  };
  return withAtomicCommit(response, {
    writes: [{ Put: { TableName: ordersTable, Item: order, ConditionExpression: 'attribute_not_exists(pk)' } }],
  });
};

const handler = middy<APIGatewayProxyEvent, unknown, Error, Context & IdempotencyContext>(createOrder).use(
  idempotency<APIGatewayProxyEvent>({
    tableName: tableName('idempotency'),
    required: true,
    ttlSeconds: 24 * 3600,
    scope: (event) => event.headers['X-Customer'],
    wait: { timeoutMs: 2_000 },
    storedHeaders: ['Content-Type', 'Location'],
    functionTimeoutMs: 15_000,
  }),
) as unknown as (
  event: APIGatewayProxyEvent,
  context: Context,
) => Promise<{ statusCode: number; headers: Record<string, string>; body: string }>;

describe('the README library example', () => {
  it('creates one order per key, replays it, and commits the order with the record', async () => {
    const key = uniqueKey();
    const request = () =>
      restApiEvent({ resource: '/orders', body: { sku: 'mug', quantity: 2 }, headers: { 'Idempotency-Key': key, 'X-Customer': 'cus_1' } });
    const [first, second] = await Promise.all([handler(request(), lambdaContext()), handler(request(), lambdaContext())]);
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(201);
    expect(second.body).toBe(first.body);
    const order = JSON.parse(first.body) as { pk: string };
    const stored = await dynamo().send(new GetCommand({ TableName: ordersTable, Key: { pk: order.pk, sk: 'ORDER' } }));
    expect(stored.Item).toMatchObject({ sku: 'mug', quantity: 2 });
    const missing = await handler(restApiEvent({ resource: '/orders', body: {} }), lambdaContext());
    expect(missing.statusCode).toBe(400);
  });
});
