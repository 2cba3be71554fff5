import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamo } from '../../lambdas/shared/dynamodb.js';
import { tableName } from '../../lambdas/shared/env.js';
import { api, json, sandbox, startSandbox, type Api } from '../payments/harness.js';
import { uniqueKey } from '../support/events.js';
import { createTenant } from '../support/tenants.js';

let processor: Awaited<ReturnType<typeof startSandbox>>;
let client: Api;
const body = { amount: 300, currency: 'usd', source: 'tok_visa' };

beforeAll(async () => {
  processor = await startSandbox();
  client = api({ processor: sandbox(processor.url) });
});
afterAll(() => {
  processor.stop();
});

const idempotencyRecord = async (account: string, key: string) =>
  (await dynamo().send(new GetCommand({ TableName: tableName('idempotency'), Key: { pk: `${account}#${key}` }, ConsistentRead: true })))
    .Item;

describe('the API route pipeline: authenticate → rate limit → validate → idempotency → handler', () => {
  it('puts RateLimit headers on every answer, including replays and problems answered early', async () => {
    // One token a minute: nothing refills during the test, so every answer spends exactly one.
    const tenant = await createTenant({ ratePerMinute: 1, burst: 50 });
    const key = uniqueKey();
    const answers = [
      await client.post('/v1/charges', { tenant, key, body }),
      await client.post('/v1/charges', { tenant, key, body }),
      await client.post('/v1/charges', { tenant, key, body: { ...body, amount: 301 } }),
      await client.post('/v1/charges', { tenant, key: uniqueKey(), body: { ...body, amount: -1 } }),
      await client.get('/v1/charges/ch_missing', tenant),
    ];
    expect(answers.map((answer) => answer.statusCode)).toEqual([201, 201, 422, 400, 404]);
    expect(answers[1]?.headers['Idempotent-Replayed']).toBe('true');
    for (const answer of answers) {
      expect(answer.headers['RateLimit-Policy']).toBe('"default";q=1;w=60;retrysafe-burst=50');
      expect(answer.headers.RateLimit).toMatch(/^"default";r=\d+;t=\d+$/);
    }
    const remaining = answers.map((answer) => Number(/r=(\d+)/.exec(answer.headers.RateLimit ?? '')?.[1]));
    expect(remaining).toEqual([49, 48, 47, 46, 45]);
  });

  it('refuses over the limit with 429 before the key is claimed, so the key stays usable', async () => {
    const tenant = await createTenant({ ratePerMinute: 1, burst: 1 });
    expect((await client.get('/v1/balance', tenant)).statusCode).toBe(200);
    const key = uniqueKey();
    const limited = await client.post('/v1/charges', { tenant, key, body });
    expect(limited.statusCode).toBe(429);
    expect(json(limited)).toMatchObject({ type: 'https://retrysafe.dev/problems/rate-limited', status: 429 });
    expect(Number(limited.headers['Retry-After'])).toBeGreaterThan(0);
    expect(limited.headers.RateLimit).toMatch(/r=0/);
    expect(await idempotencyRecord(tenant.account, key)).toBeUndefined();
  });

  it('refuses a repeated Authorization header with 400 before claiming the key, even when both name the same key', async () => {
    const tenant = await createTenant();
    const key = uniqueKey();
    // Two names differing in case are two entries of API Gateway's multiValueHeaders.
    const repeated = await client.post('/v1/charges', { tenant, key, body, headers: { authorization: `Bearer ${tenant.apiKey}` } });
    expect(repeated.statusCode).toBe(400);
    expect(json(repeated)).toMatchObject({ type: 'https://retrysafe.dev/problems/malformed-request' });
    expect(await idempotencyRecord(tenant.account, key)).toBeUndefined();
  });

  it('authenticates before spending a token or claiming a key', async () => {
    const tenant = await createTenant();
    const key = uniqueKey();
    const stranger = { ...tenant, authorization: { Authorization: 'Bearer sk_test_nobody' } };
    const refused = await client.post('/v1/charges', { tenant: stranger, key, body });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['RateLimit-Policy']).toBeUndefined();
    expect(await idempotencyRecord(tenant.account, key)).toBeUndefined();
  });
});
