import { createHash, randomUUID } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdempotencyKey } from '@retrysafe/idempotency';
import { downstreamKey } from '../../lambdas/payments/key-guard.js';
import type { CardProcessor } from '../../lambdas/payments/processor-client/card-processor.js';
import { dynamo } from '../../lambdas/shared/dynamodb.js';
import { tableName } from '../../lambdas/shared/env.js';
import { uniqueKey } from '../support/events.js';
import { createTenant, type TestTenant } from '../support/tenants.js';
import { api, json, ledgerBalance, ledgerEntries, processorChargesFor, sandbox, startSandbox, unbalancedTransactions } from './harness.js';

const visa = (amount = 1_000) => ({ amount, currency: 'usd', source: 'tok_visa', description: 'Order #1', metadata: { order: '1' } });

let processor: Awaited<ReturnType<typeof startSandbox>>;
const started = Date.now();

beforeAll(async () => {
  // The slow token answers after 400 ms; the client gives up after 200 ms: the lost response.
  process.env.SANDBOX_SLOW_RESPONSE_MS = '400';
  processor = await startSandbox();
});
afterAll(() => {
  processor.stop();
});

/** The sandbox, counting the charge calls that reach it: what must not happen is a call, not only a charge. */
const countingCharges = () => {
  const real = sandbox(processor.url);
  const counted = { calls: 0, processor: real };
  counted.processor = {
    ...real,
    charge: (request) => {
      counted.calls++;
      return real.charge(request);
    },
  };
  return counted;
};

const chargesAtProcessor = (tenant: TestTenant, key: string) =>
  processorChargesFor(processor.url, downstreamKey(tenant.account, key as IdempotencyKey), started - 60_000);

describe('POST /v1/charges', () => {
  it('charges once, records a balanced ledger transaction, the balance and the outbox event', async () => {
    const client = api({ processor: sandbox(processor.url) });
    const tenant = await createTenant();
    const key = uniqueKey();
    const response = await client.post('/v1/charges', { tenant, key, body: visa(1_250) });
    expect(response.statusCode).toBe(201);
    const charge = json(response);
    expect(charge).toMatchObject({
      object: 'charge',
      amount: 1_250,
      amount_refunded: 0,
      currency: 'usd',
      status: 'succeeded',
      source: 'tok_visa',
      description: 'Order #1',
      metadata: { order: '1' },
      processor_charge_id: expect.stringMatching(/^pch_/) as string,
    });
    expect(charge.id).toMatch(/^ch_[0-9A-Z]{26}$/);
    expect(response.headers.Location).toBe(`/v1/charges/${String(charge.id)}`);

    expect(json(await client.get(`/v1/charges/${String(charge.id)}`, tenant))).toEqual(charge);
    expect(json(await client.get('/v1/balance', tenant))).toEqual({ object: 'balance', available: [{ currency: 'usd', amount: 1_250 }] });
    const entries = await ledgerEntries(tenant.account);
    expect(entries).toHaveLength(2);
    expect(unbalancedTransactions(entries)).toEqual([]);
    expect(await ledgerBalance(tenant.account)).toEqual({ usd: 1_250 });
    const events = json<{ data: { type: string; data: { object: { id: string } }; request: unknown }[] }>(
      await client.get('/v1/events', tenant),
    );
    expect(events.data.map((event) => [event.type, event.data.object.id])).toEqual([['charge.succeeded', charge.id]]);
    // The trail a consumer logs: which request made the event, and its key without the key itself.
    expect(events.data[0]?.request).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/) as string,
      idempotency_key_sha256: createHash('sha256').update(key).digest('hex'),
    });
  });

  it('replays a retry with the same key: same body, Idempotent-Replayed, no second processor charge', async () => {
    const client = api({ processor: sandbox(processor.url) });
    const tenant = await createTenant();
    const key = uniqueKey();
    const first = await client.post('/v1/charges', { tenant, key, body: visa() });
    const retry = await client.post('/v1/charges', { tenant, key, body: visa() });
    expect(retry.statusCode).toBe(201);
    expect(retry.body).toBe(first.body);
    expect(retry.headers['Idempotent-Replayed']).toBe('true');
    expect(retry.headers.Location).toBe(first.headers.Location);
    expect(await chargesAtProcessor(tenant, key)).toBe(1);
    expect(await ledgerEntries(tenant.account)).toHaveLength(2);
  });

  it('stores a decline as a 402 with the failed charge, and replays it', async () => {
    const client = api({ processor: sandbox(processor.url) });
    const tenant = await createTenant();
    const key = uniqueKey();
    const declined = await client.post('/v1/charges', { tenant, key, body: { ...visa(), source: 'tok_chargeDeclined' } });
    expect(declined.statusCode).toBe(402);
    expect(declined.headers['Content-Type']).toBe('application/problem+json');
    expect(json(declined)).toMatchObject({
      type: 'https://retrysafe.dev/problems/card-declined',
      decline_code: 'insufficient_funds',
      charge: { status: 'failed', failure_code: 'insufficient_funds', amount: 1_000 },
    });
    const replay = await client.post('/v1/charges', { tenant, key, body: { ...visa(), source: 'tok_chargeDeclined' } });
    expect(replay.statusCode).toBe(402);
    expect(replay.headers['Idempotent-Replayed']).toBe('true');
    expect(await ledgerEntries(tenant.account)).toEqual([]);
    const events = json<{ data: { type: string }[] }>(await client.get('/v1/events', tenant, { type: 'charge.failed' }));
    expect(events.data).toHaveLength(1);
  });

  it('answers 503 with Retry-After when the processor fails, and stores nothing', async () => {
    const client = api({ processor: sandbox(processor.url) });
    const tenant = await createTenant();
    const key = uniqueKey();
    const failed = await client.post('/v1/charges', { tenant, key, body: { ...visa(), source: 'tok_processor_error' } });
    expect(failed.statusCode).toBe(503);
    expect(failed.headers['Retry-After']).toMatch(/^\d+$/);
    expect(json(failed)).toMatchObject({ type: 'https://retrysafe.dev/problems/processor-unavailable' });
    const retried = await client.post('/v1/charges', { tenant, key, body: { ...visa(), source: 'tok_processor_error' } });
    expect(retried.statusCode).toBe(503);
    expect(retried.headers['Idempotent-Replayed']).toBeUndefined();
    expect(await ledgerEntries(tenant.account)).toEqual([]);
  });

  it('survives the lost response: the client sees 503, retries with the same key, and is charged once', async () => {
    const client = api({ processor: sandbox(processor.url, 200) });
    const tenant = await createTenant();
    const key = uniqueKey();
    const body = { ...visa(), source: 'tok_timeout_after_charge' };
    const lost = await client.post('/v1/charges', { tenant, key, body });
    expect(lost.statusCode).toBe(503);
    const retry = await client.post('/v1/charges', { tenant, key, body });
    expect(retry.statusCode).toBe(201);
    expect(json(retry)).toMatchObject({ status: 'succeeded', amount: 1_000 });
    expect(await chargesAtProcessor(tenant, key)).toBe(1);
    const entries = await ledgerEntries(tenant.account);
    expect(new Set(entries.map((entry) => entry.transactionId)).size).toBe(1);
  });

  it('survives a crash between the processor call and the commit: the retry after the lease charges nothing new', async () => {
    let clock = Date.now();
    const real = sandbox(processor.url);
    let crash = true;
    const crashing: CardProcessor = {
      ...real,
      charge: async (request) => {
        const outcome = await real.charge(request);
        // The Lambda dies here: the processor has charged, nothing is committed, no response.
        if (crash) return new Promise(() => undefined);
        return outcome;
      },
    };
    const client = api({ processor: crashing, now: () => clock });
    const tenant = await createTenant();
    const key = uniqueKey();
    void client.post('/v1/charges', { tenant, key, body: visa() });
    await expect.poll(() => chargesAtProcessor(tenant, key)).toBe(1);
    crash = false;

    const tooEarly = await client.post('/v1/charges', { tenant, key, body: visa() });
    expect(tooEarly.statusCode).toBe(409);
    clock += 20_000;
    const retry = await client.post('/v1/charges', { tenant, key, body: visa() });
    expect(retry.statusCode).toBe(201);
    expect(await chargesAtProcessor(tenant, key)).toBe(1);
    expect(await ledgerEntries(tenant.account)).toHaveLength(2);
  });

  it('answers a retry that comes after the idempotency record is gone from the permanent key guard, byte for byte', async () => {
    const counting = countingCharges();
    let clock = Date.now();
    const client = api({ processor: counting.processor, now: () => clock });
    const tenant = await createTenant();
    const key = uniqueKey();
    const first = await client.post('/v1/charges', { tenant, key, body: visa() });
    const chargeId = json<{ id: string }>(first).id;
    expect((await client.post(`/v1/charges/${chargeId}/refunds`, { tenant, key: uniqueKey(), body: { amount: 100 } })).statusCode).toBe(
      201,
    );
    // A day and an hour later the 24-hour record has expired (in DynamoDB and in the container's cache).
    clock += 25 * 3600 * 1000;

    const late = await client.post('/v1/charges', { tenant, key, body: visa() });
    expect(late.statusCode).toBe(201);
    expect(late.headers['Idempotent-Replayed']).toBe('true');
    expect(late.headers.Location).toBe(first.headers.Location);
    // The original answer, not the charge as it stands after its refund.
    expect(late.body).toBe(first.body);
    expect(counting.calls).toBe(1);

    clock += 25 * 3600 * 1000;
    const changed = await client.post('/v1/charges', { tenant, key, body: visa(999) });
    expect(changed.statusCode).toBe(422);
    // The 422 was not stored under the key: the true retry still gets its charge.
    const trueRetry = await client.post('/v1/charges', { tenant, key, body: visa() });
    expect(trueRetry.statusCode).toBe(201);
    expect(trueRetry.body).toBe(first.body);
    expect(counting.calls).toBe(1);
  });

  it('validates before claiming: a corrected request may reuse the key', async () => {
    const client = api({ processor: sandbox(processor.url) });
    const tenant = await createTenant();
    const key = uniqueKey();
    const cases: [unknown, string][] = [
      [{ ...visa(), amount: 0 }, 'amount'],
      [{ ...visa(), amount: 1.5 }, 'amount'],
      [{ ...visa(), amount: 100_000_000 }, 'amount'],
      [{ ...visa(), currency: 'USD' }, 'currency'],
      [{ ...visa(), source: 'card 4242' }, 'source'],
      [{ ...visa(), description: 'x'.repeat(501) }, 'description'],
      [{ ...visa(), metadata: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v'])) }, 'metadata'],
      [{ ...visa(), metadata: { ['k'.repeat(41)]: 'v' } }, `metadata.${'k'.repeat(41)}`],
      [{ ...visa(), surprise: true }, 'surprise'],
      [{ amount: 100 }, 'currency'],
    ];
    for (const [body, field] of cases) {
      const response = await client.post('/v1/charges', { tenant, key, body });
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(json(response)).toMatchObject({ type: 'https://retrysafe.dev/problems/validation-error', field });
    }
    // A PaymentMethod id passes validation (Stripe takes them); the sandbox knows none and refuses it.
    const paymentMethod = await client.post('/v1/charges', { tenant, key: uniqueKey(), body: { ...visa(), source: 'pm_card_visa' } });
    expect(json(paymentMethod)).toMatchObject({ status: 400, type: 'https://retrysafe.dev/problems/validation-error', field: 'source' });
    const malformed = await client.post('/v1/charges', { tenant, key, body: '{"amount": 1,' });
    expect(malformed.statusCode).toBe(400);
    const huge = await client.post('/v1/charges', { tenant, key, body: { ...visa(), description: 'x'.repeat(70_000) } });
    expect(huge.statusCode).toBe(413);
    expect(json(huge)).toMatchObject({ type: 'https://retrysafe.dev/problems/payload-too-large' });

    expect((await client.post('/v1/charges', { tenant, key, body: visa() })).statusCode).toBe(201);
  });

  it('refuses metadata keys that name an object’s machinery before any money moves, and keeps the harmless ones', async () => {
    const counting = countingCharges();
    const client = api({ processor: counting.processor });
    const tenant = await createTenant();
    const key = uniqueKey();
    for (const name of ['constructor', '__proto__', 'prototype', 'retrysafe_account']) {
      // Sent as text: a JavaScript object literal would not keep a __proto__ member.
      const body = `{"amount":1000,"currency":"usd","source":"tok_visa","metadata":{"${name}":"x"}}`;
      const refused = await client.post('/v1/charges', { tenant, key, body, headers: { 'Content-Type': 'application/json' } });
      expect(refused.statusCode, name).toBe(400);
      expect(json(refused)).toMatchObject({ type: 'https://retrysafe.dev/problems/validation-error', field: `metadata.${name}` });
    }
    expect(counting.calls).toBe(0);

    const harmless = await client.post('/v1/charges', {
      tenant,
      key,
      body: { ...visa(), metadata: { toString: 'x', hasOwnProperty: 'y' } },
    });
    expect(harmless.statusCode).toBe(201);
    expect(json(harmless)).toMatchObject({ metadata: { toString: 'x', hasOwnProperty: 'y' } });
    expect(
      json(await client.post('/v1/charges', { tenant, key, body: { ...visa(), metadata: { toString: 'x', hasOwnProperty: 'y' } } })),
    ).toEqual(json(harmless));
    expect(counting.calls).toBe(1);
  });

  it('requires authentication and an Idempotency-Key', async () => {
    const client = api({ processor: sandbox(processor.url) });
    const tenant = await createTenant();
    const noKey = await client.post('/v1/charges', { tenant, body: visa() });
    expect(json(noKey)).toMatchObject({ status: 400, type: 'https://retrysafe.dev/problems/idempotency-key-missing' });
    const badKey = await client.post('/v1/charges', { tenant, key: 'x'.repeat(256), body: visa() });
    expect(json(badKey)).toMatchObject({ status: 400, type: 'https://retrysafe.dev/problems/idempotency-key-invalid' });
    const stranger = { ...tenant, authorization: { Authorization: `Bearer sk_test_${randomUUID()}` } };
    const unauthorized = await client.post('/v1/charges', { tenant: stranger, key: uniqueKey(), body: visa() });
    expect(unauthorized.statusCode).toBe(401);
    expect(unauthorized.headers['WWW-Authenticate']).toContain('Bearer');
    expect(json(unauthorized)).toMatchObject({ type: 'https://retrysafe.dev/problems/unauthorized' });
  });
});

describe('GET /v1/charges', () => {
  it('lists newest first with cursor pagination, only the tenant’s own', async () => {
    const client = api({ processor: sandbox(processor.url) });
    const tenant = await createTenant();
    const other = await createTenant();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push(String(json(await client.post('/v1/charges', { tenant, key: uniqueKey(), body: visa(100 + i) })).id));
    await client.post('/v1/charges', { tenant: other, key: uniqueKey(), body: visa() });

    const page1 = json<{ object: string; data: { id: string }[]; has_more: boolean }>(
      await client.get('/v1/charges', tenant, { limit: '2' }),
    );
    expect(page1.object).toBe('list');
    expect(page1.data.map((charge) => charge.id)).toEqual([ids[2], ids[1]]);
    expect(page1.has_more).toBe(true);
    const page2 = json<{ data: { id: string }[]; has_more: boolean }>(
      await client.get('/v1/charges', tenant, { limit: '2', starting_after: page1.data[1]?.id ?? '' }),
    );
    expect(page2.data.map((charge) => charge.id)).toEqual([ids[0]]);
    expect(page2.has_more).toBe(false);

    expect((await client.get(`/v1/charges/${ids[0] ?? ''}`, other)).statusCode).toBe(404);
    expect(json(await client.get('/v1/charges', tenant, { limit: '0' }))).toMatchObject({ status: 400, field: 'limit' });
    expect(json(await client.get('/v1/charges', tenant, { starting_after: 'nope' }))).toMatchObject({
      status: 400,
      field: 'starting_after',
    });
    expect(json(await client.get('/v1/charges/ch_unknown', tenant))).toMatchObject({
      status: 404,
      type: 'https://retrysafe.dev/problems/not-found',
    });
  });
});

describe('GET /v1/events', () => {
  it('pages back through every event with starting_after, filtered by type or not', async () => {
    const client = api({ processor: sandbox(processor.url) });
    const tenant = await createTenant();
    const charges: string[] = [];
    for (const source of ['tok_visa', 'tok_chargeDeclined', 'tok_visa', 'tok_visa']) {
      const response = await client.post('/v1/charges', { tenant, key: uniqueKey(), body: { ...visa(), source } });
      // A decline answers 402 with the failed charge embedded.
      const answer = json<{ id?: string; charge?: { id: string } }>(response);
      charges.push(answer.charge?.id ?? String(answer.id));
    }
    const pageThrough = async (query: Record<string, string>): Promise<string[]> => {
      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = json<{ url: string; data: { id: string; data: { object: { id: string } } }[]; has_more: boolean }>(
          await client.get('/v1/events', tenant, { ...query, limit: '1', ...(after === undefined ? {} : { starting_after: after }) }),
        );
        expect(page.url).toBe('/v1/events');
        seen.push(...page.data.map((event) => event.data.object.id));
        if (!page.has_more) return seen;
        after = page.data.at(-1)?.id;
      }
    };

    expect(await pageThrough({})).toEqual([...charges].reverse());
    expect(await pageThrough({ type: 'charge.succeeded' })).toEqual([charges[3], charges[2], charges[0]]);
    expect(json(await client.get('/v1/events', tenant, { starting_after: charges[0] ?? '' }))).toMatchObject({
      status: 400,
      field: 'starting_after',
    });
  });
});

describe('ledger integrity', () => {
  it('has no code path that updates or deletes ledger entries', async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    const files = (await readdir('lambdas', { recursive: true })).filter((file) => file.endsWith('.ts'));
    let ledgerReferences = 0;
    for (const file of files) {
      const source = await readFile(`lambdas/${file}`, 'utf8');
      // The table's name is looked up in one place, and used only to append.
      if (file !== 'payments/tables.ts') expect(source, file).not.toMatch(/tableName\('ledger'\)/);
      const references = source.match(/tables\.ledger\b/g) ?? [];
      const appends = source.match(/ledgerPuts\(\s*(?:this\.)?tables\.ledger\b/g) ?? [];
      // Every use of the ledger table's name is an append through ledgerPuts.
      expect(references.length, file).toBe(appends.length);
      ledgerReferences += references.length;
    }
    expect(ledgerReferences).toBeGreaterThan(0);
    const ledgerModule = await readFile('lambdas/payments/ledger.ts', 'utf8');
    expect(ledgerModule).not.toMatch(/Update|Delete/);
    const { Items } = await dynamo().send(new ScanCommand({ TableName: tableName('ledger'), Limit: 50 }));
    for (const entry of Items ?? []) expect(entry.amount).toBeGreaterThan(0);
  });
});
