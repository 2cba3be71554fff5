import { createHash } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdempotencyKey } from '@retrysafe/idempotency';
import { downstreamKey } from '../../lambdas/payments/key-guard.js';
import type { CardProcessor } from '../../lambdas/payments/processor-client/card-processor.js';
import { dynamo } from '../../lambdas/shared/dynamodb.js';
import { processorSettleMs } from '../../lambdas/shared/idempotency-engine.js';
import { tableEnvVar } from '../../lambdas/topology.js';
import { longestLeaseMs, runCompleterLater, runCompleterNow, testClock } from '../support/completer-run.js';
import { uniqueKey } from '../support/events.js';
import { usePrivateIdempotencyTable } from '../support/private-idempotency-table.js';
import { createTenant, type TestTenant } from '../support/tenants.js';
import { api, json, ledgerBalance, processorChargesFor, sandbox, startSandbox, unbalancedTransactions, ledgerEntries } from './harness.js';

/**
 * Recovery points and the completer on DynamoDB Local and the sandbox processor, with nobody
 * retrying. The completer reads every recovery point of its table, so this file keeps its own
 * idempotency table: no other suite's points are ever in it, whatever the clock here says.
 */
let processor: Awaited<ReturnType<typeof startSandbox>>;
const started = Date.now();
const clock = testClock(started);
const { now } = clock;

beforeAll(async () => {
  // The slow tokens answer after 400 ms; the client gives up after 200 ms: the lost response.
  process.env.SANDBOX_SLOW_RESPONSE_MS = '400';
  await usePrivateIdempotencyTable('recovery');
  processor = await startSandbox();
});
afterAll(() => {
  processor.stop();
});

/** The completer's next run, once every lease and settle window of the moment has passed. */
const completeLater = (processorClient: CardProcessor = sandbox(processor.url)) => runCompleterLater(clock, processorClient);

const recordOf = async (tenant: TestTenant, key: string) =>
  (
    await dynamo().send(
      new GetCommand({ TableName: process.env[tableEnvVar('idempotency')], Key: { pk: `${tenant.account}#${key}` }, ConsistentRead: true }),
    )
  ).Item;

const processorCharges = (tenant: TestTenant, key: string) =>
  processorChargesFor(processor.url, downstreamKey(tenant.account, key as IdempotencyKey), started - 60_000);

const chargeEvents = async (client: ReturnType<typeof api>, tenant: TestTenant) =>
  json<{ data: { type: string }[] }>(await client.get('/v1/events', tenant, { limit: '100' })).data.filter(
    (event) => event.type === 'charge.succeeded',
  ).length;

const visa = (source = 'tok_visa') => ({ amount: 1_500, currency: 'usd', source });

/** A processor client whose call reaches the processor and then the Lambda dies: nothing comes back. */
const dyingAfterTheCall = (inner: CardProcessor): CardProcessor => ({
  ...inner,
  charge: async (request, signal) => {
    await inner.charge(request, signal);
    throw new Error('the function died after the processor answered');
  },
});

describe('a charge whose client never comes back', () => {
  it('is committed by the completer after a lost processor response: processor charges = charges = events = balance', async () => {
    const client = api({ processor: sandbox(processor.url, 200), now });
    const tenant = await createTenant();
    const key = uniqueKey();
    const lost = await client.post('/v1/charges', { tenant, key, body: visa('tok_timeout_after_charge') });
    expect(lost.statusCode).toBe(503);
    const claimed = await recordOf(tenant, key);
    expect(claimed).toMatchObject({
      status: 'IN_PROGRESS',
      recovery: { key, request: { kind: 'charge', requestId: expect.any(String) as string } },
    });
    await new Promise((resolve) => setTimeout(resolve, 500));

    const summary = await completeLater();
    expect(summary.resolutions.committed).toBe(1);
    expect(await recordOf(tenant, key)).toMatchObject({ status: 'COMPLETED' });
    expect(await processorCharges(tenant, key)).toBe(1);
    const charges = json<{ data: { amount: number }[] }>(await client.get('/v1/charges', tenant)).data;
    expect(charges.map((charge) => charge.amount)).toEqual([1_500]);
    expect(await chargeEvents(client, tenant)).toBe(1);
    // The event names the request that started the charge, though the completer finished it.
    const [event] = json<{ data: { request: unknown }[] }>(await client.get('/v1/events', tenant)).data;
    expect(event?.request).toEqual({
      id: (claimed as { recovery: { request: { requestId: string } } }).recovery.request.requestId,
      idempotency_key_sha256: createHash('sha256').update(key).digest('hex'),
    });
    expect(json(await client.get('/v1/balance', tenant))).toMatchObject({ available: [{ currency: 'usd', amount: 1_500 }] });
    expect(await ledgerBalance(tenant.account)).toEqual({ usd: 1_500 });
    expect(unbalancedTransactions(await ledgerEntries(tenant.account))).toEqual([]);

    // A client that does come back, much later, gets the charge the completer recorded.
    const late = await client.post('/v1/charges', { tenant, key, body: visa('tok_timeout_after_charge') });
    expect(late.statusCode).toBe(201);
    expect(late.headers['Idempotent-Replayed']).toBe('true');
    expect(json(late)).toEqual(charges[0]);
    expect(await processorCharges(tenant, key)).toBe(1);
  });

  it('is committed by the completer after the function died between the processor’s answer and the commit', async () => {
    const client = api({ processor: dyingAfterTheCall(sandbox(processor.url)), now });
    const tenant = await createTenant();
    const key = uniqueKey();
    expect((await client.post('/v1/charges', { tenant, key, body: visa() })).statusCode).toBe(500);
    expect(await processorCharges(tenant, key)).toBe(1);

    await completeLater();
    expect(await recordOf(tenant, key)).toMatchObject({ status: 'COMPLETED' });
    expect(await ledgerBalance(tenant.account)).toEqual({ usd: 1_500 });
    expect(await chargeEvents(client, tenant)).toBe(1);
  });

  it('is resolved as not charged when the processor never saw it: the key is free, and nothing was charged anywhere', async () => {
    const neverCalled: CardProcessor = {
      ...sandbox(processor.url),
      charge: () => Promise.reject(new Error('the function died before calling the processor')),
    };
    const client = api({ processor: neverCalled, now });
    const tenant = await createTenant();
    const key = uniqueKey();
    expect((await client.post('/v1/charges', { tenant, key, body: visa() })).statusCode).toBe(500);

    expect((await completeLater()).resolutions['not-charged']).toBeGreaterThanOrEqual(1);
    expect(await recordOf(tenant, key)).toBeUndefined();
    expect(await processorCharges(tenant, key)).toBe(0);
    expect(await ledgerBalance(tenant.account)).toEqual({});
    // The key is free: the client's retry charges, once.
    const retry = await api({ processor: sandbox(processor.url), now }).post('/v1/charges', { tenant, key, body: visa() });
    expect(retry.statusCode).toBe(201);
    expect(await processorCharges(tenant, key)).toBe(1);
  });

  it('stays a recovery point while the processor cannot answer, and is committed by a later run', async () => {
    const client = api({ processor: dyingAfterTheCall(sandbox(processor.url)), now });
    const tenant = await createTenant();
    const key = uniqueKey();
    await client.post('/v1/charges', { tenant, key, body: visa() });
    const down = sandbox('http://127.0.0.1:9');
    expect((await completeLater(down)).resolutions['still-unknown']).toBeGreaterThanOrEqual(1);
    expect(await recordOf(tenant, key)).toMatchObject({ status: 'IN_PROGRESS' });
    await completeLater();
    expect(await recordOf(tenant, key)).toMatchObject({ status: 'COMPLETED' });
    expect(await ledgerBalance(tenant.account)).toEqual({ usd: 1_500 });
  });
});

describe('a recovery point and a retrying client', () => {
  it('lets the retry resume at once after a 503: same downstream key, one charge', async () => {
    const client = api({ processor: sandbox(processor.url, 200), now });
    const tenant = await createTenant();
    const key = uniqueKey();
    expect((await client.post('/v1/charges', { tenant, key, body: visa('tok_timeout_after_charge') })).statusCode).toBe(503);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const retry = await client.post('/v1/charges', { tenant, key, body: visa('tok_timeout_after_charge') });
    expect(retry.statusCode).toBe(201);
    expect(await processorCharges(tenant, key)).toBe(1);
    // The completer finds nothing left to do for it.
    await completeLater();
    expect(await ledgerBalance(tenant.account)).toEqual({ usd: 1_500 });
  });

  it('answers a retry with a changed body 422, not 500, and keeps the point for its true retry', async () => {
    const client = api({ processor: sandbox(processor.url, 200), now });
    const tenant = await createTenant();
    const key = uniqueKey();
    await client.post('/v1/charges', { tenant, key, body: visa('tok_timeout_after_charge') });
    const changed = await client.post('/v1/charges', { tenant, key, body: { ...visa('tok_timeout_after_charge'), amount: 9 } });
    expect(changed.statusCode).toBe(422);
    expect(await recordOf(tenant, key)).toMatchObject({ status: 'IN_PROGRESS', recovery: { request: { kind: 'charge' } } });
  });

  it('lets exactly one of a retry and the completer finish a point they race for', async () => {
    const client = api({ processor: dyingAfterTheCall(sandbox(processor.url)), now });
    const tenant = await createTenant();
    const key = uniqueKey();
    await client.post('/v1/charges', { tenant, key, body: visa() });
    clock.advance(longestLeaseMs + processorSettleMs);
    const retrying = api({ processor: sandbox(processor.url), now });
    const [retry, summary] = await Promise.all([
      retrying.post('/v1/charges', { tenant, key, body: visa() }),
      runCompleterNow(clock, sandbox(processor.url)),
    ]);
    expect([201, 409]).toContain(retry.statusCode);
    expect(summary.resolutions.committed + summary.resolutions.taken).toBeGreaterThanOrEqual(1);
    await completeLater();
    expect(await processorCharges(tenant, key)).toBe(1);
    expect(await ledgerBalance(tenant.account)).toEqual({ usd: 1_500 });
    expect(await chargeEvents(client, tenant)).toBe(1);
  });
});

describe('a refund whose processor response was lost', () => {
  it('is committed by the completer: the processor’s refund has exactly one counterpart here', async () => {
    const prompt = api({ processor: sandbox(processor.url), now });
    const tenant = await createTenant();
    const charged = await prompt.post('/v1/charges', { tenant, key: uniqueKey(), body: visa('tok_timeout_after_refund') });
    const chargeId = json<{ id: string }>(charged).id;
    const client = api({ processor: sandbox(processor.url, 200), now });
    const key = uniqueKey();
    expect((await client.post(`/v1/charges/${chargeId}/refunds`, { tenant, key, body: { amount: 500 } })).statusCode).toBe(503);
    await new Promise((resolve) => setTimeout(resolve, 500));

    await completeLater();
    expect(json(await client.get(`/v1/charges/${chargeId}`, tenant))).toMatchObject({ amount_refunded: 500 });
    expect(await ledgerBalance(tenant.account)).toEqual({ usd: 1_000 });
    const late = await client.post(`/v1/charges/${chargeId}/refunds`, { tenant, key, body: { amount: 500 } });
    expect(late.statusCode).toBe(201);
    expect(late.headers['Idempotent-Replayed']).toBe('true');
  });
});
