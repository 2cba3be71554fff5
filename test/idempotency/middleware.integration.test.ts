import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defaultProblemTypeBase, idempotency, type IdempotencyContext, requestFingerprint, withAtomicCommit } from '@retrysafe/idempotency';
import { errorResponses } from '../../lambdas/http/error-responses.js';
import { jsonBody } from '../../lambdas/http/json-body.js';
import { ProblemError } from '../../lambdas/http/problem.js';
import { type HttpResponse, jsonResponse } from '../../lambdas/http/types.js';
import { createDocumentClient, dynamo } from '../../lambdas/shared/dynamodb.js';
import { tableName } from '../../lambdas/shared/env.js';
import { restApiEvent } from '../../local/proxy-events.js';
import { lambdaContext, uniqueKey } from '../support/events.js';
import { deferred, wrap } from './harness.js';

const charge = (key: string, body: unknown = { amount: 100 }, headers: Record<string, string> = {}) =>
  restApiEvent({ resource: '/v1/charges', body, headers: { 'Idempotency-Key': key, ...headers } });

const record = async (scope: string, key: string) =>
  (await dynamo().send(new GetCommand({ TableName: tableName('idempotency'), Key: { pk: `${scope}#${key}` }, ConsistentRead: true }))).Item;

const businessItem = async (pk: string) =>
  (await dynamo().send(new GetCommand({ TableName: tableName('payments'), Key: { pk, sk: 'ITEM' }, ConsistentRead: true }))).Item;

describe('idempotency middleware on DynamoDB Local', () => {
  it('runs the handler exactly once for 200 concurrent identical requests', async () => {
    let runs = 0;
    const handler = wrap(async () => {
      runs++;
      await new Promise((resolve) => setTimeout(resolve, 50));
      return jsonResponse(201, { id: 'ch_1' }, { Location: '/v1/charges/ch_1' });
    });
    const key = uniqueKey();
    const responses = await Promise.all(Array.from({ length: 200 }, () => handler(charge(key), lambdaContext())));
    expect(runs).toBe(1);
    const statuses = responses.map((response) => response.statusCode);
    expect(statuses.filter((status) => status === 201)).toHaveLength(statuses.filter((s) => s !== 409).length);
    expect(statuses.every((status) => status === 201 || status === 409)).toBe(true);
    expect(
      responses.filter((response) => response.statusCode === 201 && response.headers['Idempotent-Replayed'] === undefined),
    ).toHaveLength(1);
    const conflict = responses.find((response) => response.statusCode === 409);
    expect(conflict?.headers['Retry-After']).toMatch(/^\d+$/);

    const replay = await handler(charge(key), lambdaContext());
    expect(replay.statusCode).toBe(201);
    expect(replay.headers).toMatchObject({
      'Idempotent-Replayed': 'true',
      Location: '/v1/charges/ch_1',
      'Content-Type': 'application/json',
    });
    expect(JSON.parse(replay.body)).toEqual({ id: 'ch_1' });
    expect(runs).toBe(1);
  });

  it('treats bodies that differ only in key order and whitespace as the same request', async () => {
    let runs = 0;
    const handler = wrap(async () => jsonResponse(201, { run: ++runs }));
    const key = uniqueKey();
    await handler(charge(key, '{"amount":100,"currency":"usd"}'), lambdaContext());
    const replay = await handler(charge(key, '{ "currency": "usd",\n "amount": 100 }'), lambdaContext());
    expect(replay.statusCode).toBe(201);
    expect(replay.headers['Idempotent-Replayed']).toBe('true');
    expect(runs).toBe(1);
  });

  it('answers 422 without running the handler when the key is reused with another body', async () => {
    let runs = 0;
    const handler = wrap(async () => jsonResponse(201, { run: ++runs }));
    const key = uniqueKey();
    await handler(charge(key, { amount: 100 }), lambdaContext());
    const reused = await handler(charge(key, { amount: 200 }), lambdaContext());
    expect(reused.statusCode).toBe(422);
    expect(JSON.parse(reused.body)).toMatchObject({ type: `${defaultProblemTypeBase}idempotency-key-reused`, status: 422 });
    expect(runs).toBe(1);
  });

  it('keeps tenants apart: the same key in two scopes runs twice and replays separately', async () => {
    let runs = 0;
    const handler = wrap(async (event) => jsonResponse(201, { run: ++runs, tenant: event.headers['X-Tenant'] }), {
      scope: (event) => event.headers['X-Tenant'],
    });
    const key = uniqueKey();
    const a = await handler(charge(key, { amount: 1 }, { 'X-Tenant': 'acct_a' }), lambdaContext());
    const b = await handler(charge(key, { amount: 1 }, { 'X-Tenant': 'acct_b' }), lambdaContext());
    expect(JSON.parse(a.body)).toEqual({ run: 1, tenant: 'acct_a' });
    expect(JSON.parse(b.body)).toEqual({ run: 2, tenant: 'acct_b' });
    const replayA = await handler(charge(key, { amount: 1 }, { 'X-Tenant': 'acct_a' }), lambdaContext());
    expect(JSON.parse(replayA.body)).toEqual({ run: 1, tenant: 'acct_a' });
  });

  it('releases the key on a 5xx so a retry executes again, and stores a 4xx', async () => {
    const statuses = [503, 402, 500];
    let runs = 0;
    const handler = wrap(async () => jsonResponse(statuses[runs++] ?? 200, { run: runs }));
    const key = uniqueKey();
    expect((await handler(charge(key), lambdaContext())).statusCode).toBe(503);
    expect(await record('tenant-a', key)).toBeUndefined();
    expect((await handler(charge(key), lambdaContext())).statusCode).toBe(402);
    const replay = await handler(charge(key), lambdaContext());
    expect(replay.statusCode).toBe(402);
    expect(replay.headers['Idempotent-Replayed']).toBe('true');
    expect(runs).toBe(2);
  });

  it('releases the key when the handler throws', async () => {
    let runs = 0;
    const handler = wrap(async () => {
      runs++;
      if (runs === 1) throw new Error('boom');
      return jsonResponse(201, { ok: true });
    });
    const key = uniqueKey();
    const failed = await handler(charge(key), lambdaContext());
    expect(failed.statusCode).toBe(500);
    expect(failed.body).not.toContain('boom');
    expect((await handler(charge(key), lambdaContext())).statusCode).toBe(201);
    expect(runs).toBe(2);
  });

  it('treats a record whose TTL passed but that DynamoDB has not deleted yet as absent', async () => {
    const key = uniqueKey();
    const nowMs = Date.now();
    await dynamo().send(
      new PutCommand({
        TableName: tableName('idempotency'),
        Item: {
          pk: `tenant-a#${key}`,
          status: 'COMPLETED',
          fingerprint: 'stale',
          token: randomUUID(),
          claimedAt: nowMs - 90_000_000,
          completedAt: nowMs - 90_000_000,
          expiresAt: Math.floor(nowMs / 1000) - 10,
          response: JSON.stringify({ statusCode: 201, headers: {}, body: '{"old":true}' }),
        },
      }),
    );
    let runs = 0;
    const handler = wrap(async () => jsonResponse(201, { run: ++runs }));
    const response = await handler(charge(key), lambdaContext());
    expect(JSON.parse(response.body)).toEqual({ run: 1 });
    expect(response.headers['Idempotent-Replayed']).toBeUndefined();
  });

  it('lets a retry take over a key whose executor died, and rejects the dead executor’s late completion', async () => {
    const key = uniqueKey();
    let clock = Date.now();
    const now = () => clock;
    const firstMayFinish = deferred();
    const firstStarted = deferred();
    const businessPk = `biz-${key}`;
    const handler = wrap(
      async (event) => {
        const who = event.headers['X-Executor'] ?? '?';
        if (who === 'first') {
          firstStarted.resolve();
          await firstMayFinish.promise;
        }
        return withAtomicCommit(jsonResponse(201, { executor: who }), {
          writes: [
            {
              Put: {
                TableName: tableName('payments'),
                Item: { pk: businessPk, sk: 'ITEM', executor: who },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        });
      },
      { now, leaseMarginMs: 0, functionTimeoutMs: 1_000 },
    );

    const first = handler(charge(key, { amount: 1 }, { 'X-Executor': 'first' }), lambdaContext(1_000));
    await firstStarted.promise;
    const blocked = await handler(charge(key, { amount: 1 }, { 'X-Executor': 'second' }), lambdaContext(1_000));
    expect(blocked.statusCode).toBe(409);

    clock += 1_001;
    const second = await handler(charge(key, { amount: 1 }, { 'X-Executor': 'second' }), lambdaContext(1_000));
    expect(second.statusCode).toBe(201);
    expect(JSON.parse(second.body)).toEqual({ executor: 'second' });

    firstMayFinish.resolve();
    const late = await first;
    expect(late.headers['Idempotent-Replayed']).toBe('true');
    expect(JSON.parse(late.body)).toEqual({ executor: 'second' });
    expect(await businessItem(businessPk)).toMatchObject({ executor: 'second' });
  });

  it('does not let a takeover with a different body steal a live or dead claim', async () => {
    const key = uniqueKey();
    let clock = Date.now();
    const finish = deferred();
    const handler = wrap(
      async () => {
        await finish.promise;
        return jsonResponse(201, {});
      },
      { now: () => clock, leaseMarginMs: 0, functionTimeoutMs: 1_000 },
    );
    const first = handler(charge(key, { amount: 1 }), lambdaContext(1_000));
    await new Promise((resolve) => setTimeout(resolve, 100));
    clock += 5_000;
    expect((await handler(charge(key, { amount: 2 }), lambdaContext(1_000))).statusCode).toBe(422);
    finish.resolve();
    await first;
  });

  it('commits business writes and the completed record in one transaction', async () => {
    const key = uniqueKey();
    const businessPk = `biz-${key}`;
    const handler = wrap(async () =>
      withAtomicCommit(jsonResponse(201, { id: businessPk }), {
        writes: [{ Put: { TableName: tableName('payments'), Item: { pk: businessPk, sk: 'ITEM', amount: 100 } } }],
      }),
    );
    const response = await handler(charge(key), lambdaContext());
    expect(response.statusCode).toBe(201);
    expect(await businessItem(businessPk)).toMatchObject({ amount: 100 });
    expect(await record('tenant-a', key)).toMatchObject({ status: 'COMPLETED' });
  });

  it('stores the alternative response when a business write is rejected at commit, and writes nothing', async () => {
    const key = uniqueKey();
    const businessPk = `biz-${key}`;
    await dynamo().send(new PutCommand({ TableName: tableName('payments'), Item: { pk: businessPk, sk: 'ITEM', remaining: 0 } }));
    let runs = 0;
    const handler = wrap(async () => {
      runs++;
      return withAtomicCommit(jsonResponse(201, { refunded: 10 }), {
        writes: [
          {
            Update: {
              TableName: tableName('payments'),
              Key: { pk: businessPk, sk: 'ITEM' },
              UpdateExpression: 'SET remaining = remaining - :amount',
              ConditionExpression: 'remaining >= :amount',
              ExpressionAttributeValues: { ':amount': 10 },
            },
          },
        ],
        onRejected: ({ item }) => jsonResponse(400, { error: 'amount-too-large', remaining: item?.remaining }),
      });
    });
    const response = await handler(charge(key), lambdaContext());
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ error: 'amount-too-large', remaining: 0 });
    const replay = await handler(charge(key), lambdaContext());
    expect(replay.statusCode).toBe(400);
    expect(replay.headers['Idempotent-Replayed']).toBe('true');
    expect(runs).toBe(1);
    expect(await businessItem(businessPk)).toMatchObject({ remaining: 0 });
  });

  it('in wait mode answers a concurrent duplicate with the first result instead of 409', async () => {
    const key = uniqueKey();
    const release = deferred();
    let runs = 0;
    const handler = wrap(
      async () => {
        runs++;
        await release.promise;
        return jsonResponse(201, { run: runs });
      },
      { wait: { timeoutMs: 5_000, pollIntervalMs: 20 } },
    );
    const first = handler(charge(key), lambdaContext());
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = handler(charge(key), lambdaContext());
    await new Promise((resolve) => setTimeout(resolve, 100));
    release.resolve();
    const [a, b] = await Promise.all([first, second]);
    expect(a.statusCode).toBe(201);
    expect(b.statusCode).toBe(201);
    expect(b.headers['Idempotent-Replayed']).toBe('true');
    expect(b.body).toBe(a.body);
    expect(runs).toBe(1);
  });

  it('compresses large responses and replays them byte for byte', async () => {
    const key = uniqueKey();
    const big = { items: Array.from({ length: 2_000 }, (_, i) => ({ i, text: 'lorem ipsum dolor sit amet' })) };
    const handler = wrap(async () => jsonResponse(201, big));
    const first = await handler(charge(key), lambdaContext());
    const stored = await record('tenant-a', key);
    expect(stored?.responseGzip).toBeInstanceOf(Uint8Array);
    expect(stored?.response).toBeUndefined();
    const replay = await handler(charge(key), lambdaContext());
    expect(replay.body).toBe(first.body);
  });

  it('refuses to store a response that cannot fit in an item, commits nothing and frees the key', async () => {
    const key = uniqueKey();
    const random = Array.from({ length: 60_000 }, () => randomUUID()).join('');
    const handler = wrap(async () => jsonResponse(201, { random }));
    const response = await handler(charge(key), lambdaContext());
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toMatchObject({ type: `${defaultProblemTypeBase}idempotency-record-too-large` });
    expect(await record('tenant-a', key)).toBeUndefined();
  });

  it('records the fingerprint of the raw body even when a later parser rewrites event.body', async () => {
    const key = uniqueKey();
    const handler = wrap(async (event) => {
      event.body = JSON.stringify({ rewritten: true });
      return jsonResponse(201, {});
    });
    await handler(charge(key, '{"amount":100}'), lambdaContext());
    expect(await record('tenant-a', key)).toMatchObject({
      status: 'COMPLETED',
      fingerprint: requestFingerprint({ method: 'POST', route: '/v1/charges', body: '{"amount":100}' }),
    });
  });
});

describe('what a handler that throws leaves under its key', () => {
  it('stores a thrown 4xx problem like a returned one: the retry replays it and the handler runs once', async () => {
    let runs = 0;
    const handler = wrap(async () => {
      runs++;
      throw new ProblemError('not-found', { detail: 'No charge ch_missing exists on this account.' });
    });
    const key = uniqueKey();
    const first = await handler(charge(key), lambdaContext());
    expect(first.statusCode).toBe(404);
    expect(await record('tenant-a', key)).toMatchObject({ status: 'COMPLETED' });
    const retry = await handler(charge(key), lambdaContext());
    expect(retry.statusCode).toBe(404);
    expect(retry.headers['Idempotent-Replayed']).toBe('true');
    expect(retry.body).toBe(first.body);
    expect(runs).toBe(1);
  });

  it('releases the key for a thrown 5xx problem, so the retry executes again', async () => {
    let runs = 0;
    const handler = wrap(async () => {
      runs++;
      if (runs === 1) throw new ProblemError('service-unavailable');
      return jsonResponse(201, { run: runs });
    });
    const key = uniqueKey();
    expect((await handler(charge(key), lambdaContext())).statusCode).toBe(503);
    expect(await record('tenant-a', key)).toBeUndefined();
    expect(JSON.parse((await handler(charge(key), lambdaContext())).body)).toEqual({ run: 2 });
  });
});

describe('bodies sent base64-encoded', () => {
  const metadataSchema = z.strictObject({ metadata: z.record(z.string(), z.string()) });
  const parsedHandler = () => {
    let runs = 0;
    const handle = middy<APIGatewayProxyEvent, HttpResponse, Error, Context & IdempotencyContext>(async () =>
      jsonResponse(201, { run: ++runs }),
    )
      .use(jsonBody(metadataSchema))
      .use(idempotency<APIGatewayProxyEvent>({ tableName: tableName('idempotency'), scope: () => 'tenant-a' }))
      .use(errorResponses()) as unknown as (event: APIGatewayProxyEvent, context: Context) => Promise<HttpResponse>;
    return { handle, runs: () => runs };
  };
  const base64Charge = (key: string, body: unknown) =>
    restApiEvent({
      resource: '/v1/charges',
      headers: { 'Idempotency-Key': key, 'Content-Type': 'application/json' },
      body: Buffer.from(JSON.stringify(body), 'utf8').toString('base64'),
      isBase64Encoded: true,
    });

  it('fingerprints the decoded text once: {"ab":"c"} and {"a":"bc"} under one key are different requests', async () => {
    const { handle, runs } = parsedHandler();
    const key = uniqueKey();
    expect((await handle(base64Charge(key, { metadata: { ab: 'c' } }), lambdaContext())).statusCode).toBe(201);
    const other = await handle(base64Charge(key, { metadata: { a: 'bc' } }), lambdaContext());
    expect(other.statusCode).toBe(422);
    expect(JSON.parse(other.body)).toMatchObject({ type: `${defaultProblemTypeBase}idempotency-key-reused` });
    expect(runs()).toBe(1);
  });

  it('replays the same body whether it arrives base64-encoded or as text', async () => {
    const { handle, runs } = parsedHandler();
    const key = uniqueKey();
    const body = { metadata: { order: '1042' } };
    await handle(base64Charge(key, body), lambdaContext());
    const text = await handle(charge(key, body, { 'Content-Type': 'application/json' }), lambdaContext());
    expect(text.headers['Idempotent-Replayed']).toBe('true');
    expect(runs()).toBe(1);
    expect(await record('tenant-a', key)).toMatchObject({
      fingerprint: requestFingerprint({ method: 'POST', route: '/v1/charges', body: JSON.stringify(body) }),
    });
  });
});

describe('the completed-record cache on DynamoDB Local', () => {
  it('answers a warm replay without a single DynamoDB call', async () => {
    const counted = new DynamoDBClient({});
    let calls = 0;
    counted.middlewareStack.add(
      (next) => (args) => {
        calls++;
        return next(args);
      },
      { step: 'initialize' },
    );
    let runs = 0;
    const handler = wrap(async () => jsonResponse(201, { run: ++runs }), { client: createDocumentClient(counted), cacheEntries: 100 });
    const key = uniqueKey();
    const first = await handler(charge(key), lambdaContext());
    expect(calls).toBe(2);
    const replay = await handler(charge(key), lambdaContext());
    expect(replay.headers['Idempotent-Replayed']).toBe('true');
    expect(replay.body).toBe(first.body);
    expect(calls).toBe(2);
    expect(runs).toBe(1);
    counted.destroy();
  });
});
