import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueKey } from '../support/events.js';
import { createTenant, type TestTenant } from '../support/tenants.js';
import { api, json, ledgerBalance, ledgerEntries, sandbox, startSandbox, unbalancedTransactions, type Api } from './harness.js';

let processor: Awaited<ReturnType<typeof startSandbox>>;
let client: Api;

beforeAll(async () => {
  processor = await startSandbox();
  client = api({ processor: sandbox(processor.url) });
});
afterAll(() => {
  processor.stop();
});

const charge = async (tenant: TestTenant, amount: number, source = 'tok_visa'): Promise<string> => {
  const response = await client.post('/v1/charges', { tenant, key: uniqueKey(), body: { amount, currency: 'eur', source } });
  const body = json<{ id?: string; charge?: { id: string } }>(response);
  return body.charge?.id ?? String(body.id);
};

const refund = (tenant: TestTenant, chargeId: string, body: unknown = {}, key = uniqueKey()) =>
  client.post(`/v1/charges/${chargeId}/refunds`, { tenant, key, body });

/**
 * A client that does what a 503 asks: retry with the same key. A hundred transactions on one
 * charge item can outlast the store's conflict retries on a busy machine, and then nothing was
 * written and the answer is 503, which the invariant below must survive.
 */
const refundUntilAnswered = async (tenant: TestTenant, chargeId: string, body: unknown) => {
  const key = uniqueKey();
  for (let attempt = 1; ; attempt++) {
    const response = await refund(tenant, chargeId, body, key);
    if (response.statusCode !== 503 || attempt === 10) return response;
  }
};

describe('POST /v1/charges/{id}/refunds', () => {
  it('refunds what remains by default, updates the charge, balance, ledger and events', async () => {
    const tenant = await createTenant();
    const id = await charge(tenant, 5_000);
    const partial = await refund(tenant, id, { amount: 1_500 });
    expect(partial.statusCode).toBe(201);
    expect(json(partial)).toMatchObject({ object: 'refund', charge: id, amount: 1_500, currency: 'eur', status: 'succeeded' });
    expect(json(partial).id).toMatch(/^re_/);
    const rest = await refund(tenant, id);
    expect(json(rest)).toMatchObject({ amount: 3_500 });

    expect(json(await client.get(`/v1/charges/${id}`, tenant))).toMatchObject({ amount: 5_000, amount_refunded: 5_000 });
    expect(json(await client.get('/v1/balance', tenant))).toEqual({ object: 'balance', available: [{ currency: 'eur', amount: 0 }] });
    expect(await ledgerBalance(tenant.account)).toEqual({ eur: 0 });
    expect(unbalancedTransactions(await ledgerEntries(tenant.account))).toEqual([]);
    const events = json<{ data: { type: string }[] }>(await client.get('/v1/events', tenant, { type: 'charge.refunded' }));
    expect(events.data).toHaveLength(2);

    const nothingLeft = await refund(tenant, id);
    expect(nothingLeft.statusCode).toBe(400);
    expect(json(nothingLeft)).toMatchObject({ type: 'https://retrysafe.dev/problems/amount-too-large', amount_refundable: 0 });
  });

  it('refuses an over-refund, a refund of a failed charge, and another tenant’s charge', async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const id = await charge(tenant, 1_000);
    expect(json(await refund(tenant, id, { amount: 1_001 }))).toMatchObject({
      status: 400,
      type: 'https://retrysafe.dev/problems/amount-too-large',
    });
    expect(json(await refund(other, id))).toMatchObject({ status: 404, type: 'https://retrysafe.dev/problems/not-found' });
    expect(json(await refund(tenant, 'ch_nope'))).toMatchObject({ status: 404 });
    const failed = await charge(tenant, 1_000, 'tok_chargeDeclined');
    expect(json(await refund(tenant, failed))).toMatchObject({ status: 400, type: 'https://retrysafe.dev/problems/charge-not-refundable' });
    expect(json(await refund(tenant, id, { amount: 10, reason: 'x' }))).toMatchObject({ status: 400, field: 'reason' });
  });

  it('never lets 100 concurrent refunds exceed the charge', async () => {
    const tenant = await createTenant();
    const id = await charge(tenant, 10_000);
    const responses = await Promise.all(Array.from({ length: 100 }, () => refundUntilAnswered(tenant, id, { amount: 150 })));
    const succeeded = responses.filter((response) => response.statusCode === 201);
    const refused = responses.filter((response) => response.statusCode === 400);
    expect(succeeded).toHaveLength(66);
    expect(refused).toHaveLength(34);
    for (const response of refused) expect(json(response)).toMatchObject({ type: 'https://retrysafe.dev/problems/amount-too-large' });
    expect(json(await client.get(`/v1/charges/${id}`, tenant))).toMatchObject({ amount_refunded: 9_900 });
    expect(json(await client.get('/v1/balance', tenant))).toMatchObject({ available: [{ currency: 'eur', amount: 100 }] });
    expect(await ledgerBalance(tenant.account)).toEqual({ eur: 100 });
  });

  it('replays a refund retried with the same key, even after its idempotency record is gone', async () => {
    const tenant = await createTenant();
    const id = await charge(tenant, 1_000);
    const key = uniqueKey();
    const first = await refund(tenant, id, { amount: 100 }, key);
    const retry = await refund(tenant, id, { amount: 100 }, key);
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['Idempotent-Replayed']).toBe('true');
    expect(retry.body).toBe(first.body);
    const otherCharge = await charge(tenant, 1_000);
    // Same key and body but another charge: a different request, so not a replay of the first.
    expect((await refund(tenant, otherCharge, { amount: 100 }, key)).statusCode).toBe(422);
    expect(json(await client.get(`/v1/charges/${id}`, tenant))).toMatchObject({ amount_refunded: 100 });
  });
});
