import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdempotencyKey } from '@retrysafe/idempotency';
import { type ServicesInWorker, startServicesInWorker } from '../support/services-in-worker.js';
import { Retrysafe, type RetrysafeClientOptions } from '../../clients/typescript/src/index.js';
import { downstreamKey } from '../../lambdas/payments/key-guard.js';
import { processorChargesFor } from '../payments/harness.js';
import { contractCheckedFetch } from '../support/contract.js';
import { createTenant, type TestTenant } from '../support/tenants.js';

/**
 * The client over HTTP against the local API Gateway and the sandbox processor (both in this
 * worker, on the global setup's DynamoDB Local), as `npm start` runs them. The slow token answers
 * after 1.5 s, within the charge path's processor timeout (5 s): the server completes the charge,
 * and it is the client's own short attempt timeout that loses the answer.
 */
describe('the typed client against the local stack', () => {
  let services: ServicesInWorker;
  let apiUrl: string;
  let processorUrl: string;
  const started = Date.now();

  beforeAll(async () => {
    process.env.PROCESSOR_TIMEOUT_MS = '5000';
    process.env.SANDBOX_SLOW_RESPONSE_MS = '1500';
    services = await startServicesInWorker();
    ({ apiUrl, processorUrl } = services);
  });

  afterAll(async () => {
    await services.stop();
  });

  const clientFor = (tenant: TestTenant, options: Partial<RetrysafeClientOptions> = {}) =>
    new Retrysafe({
      apiKey: tenant.apiKey,
      baseUrl: apiUrl,
      retry: { baseDelayMs: 50, maxDelayMs: 1_000, maxElapsedMs: 30_000 },
      fetch: contractCheckedFetch,
      ...options,
    });

  const processorCharges = (tenant: TestTenant, key: string) =>
    processorChargesFor(processorUrl, downstreamKey(tenant.account, key as IdempotencyKey), started - 60_000);

  const everyCharge = async (client: Retrysafe) => {
    const charges = [];
    for await (const charge of client.charges.listAll()) charges.push(charge);
    return charges;
  };

  const visa = (source = 'tok_visa') => ({ amount: 1_500, currency: 'usd', source }) as const;

  it('turns a slow processor and a short client timeout into exactly one charge, collected as a replay', async () => {
    const tenant = await createTenant();
    // Each attempt gives up long before the server's processor call does.
    const client = clientFor(tenant, { retry: { baseDelayMs: 50, maxDelayMs: 1_000, maxElapsedMs: 30_000, attemptTimeoutMs: 300 } });

    const result = await client.charges.create(visa('tok_timeout_after_charge'));

    expect(result.attempts).toBeGreaterThan(1);
    expect(result.replayed).toBe(true);
    expect(result.data.status).toBe('succeeded');
    const charges = await everyCharge(client);
    expect(charges.map((charge) => charge.id)).toEqual([result.data.id]);
    expect(await processorCharges(tenant, result.idempotencyKey ?? '')).toBe(1);
    expect((await client.balance.retrieve()).data.available).toEqual([{ currency: 'usd', amount: 1_500 }]);
    // A client that lost every answer asks instead of charging again.
    expect(await client.charges.findByIdempotencyKey(result.idempotencyKey ?? '')).toEqual({ state: 'charged', charge: result.data });
    expect(await client.charges.findByIdempotencyKey(`order/${tenant.account}/never-sent`)).toEqual({ state: 'unknown' });
  });

  it('gives a burst of concurrent calls for one key one charge, the same for every caller', async () => {
    const tenant = await createTenant();
    const client = clientFor(tenant);
    const idempotencyKey = `burst-${tenant.account}`;

    const results = await Promise.all(Array.from({ length: 8 }, () => client.charges.create(visa(), { idempotencyKey })));

    expect(new Set(results.map((result) => result.data.id)).size).toBe(1);
    expect(results.filter((result) => !result.replayed)).toHaveLength(1);
    expect((await everyCharge(client)).map((charge) => charge.id)).toEqual([results[0]?.data.id]);
    expect(await processorCharges(tenant, idempotencyKey)).toBe(1);
  });

  it('waits out a rate-limited tenant’s 429s, and charges each key once', async () => {
    // One request a second after a burst of two: most of the burst below is refused at first.
    const tenant = await createTenant({ ratePerMinute: 60, burst: 2 });
    const client = clientFor(tenant);
    const keys = Array.from({ length: 5 }, (_, index) => `limited-${index}-${tenant.account}`);

    const results = await Promise.all(keys.map((idempotencyKey) => client.charges.create(visa(), { idempotencyKey })));

    expect(results.some((result) => result.attempts > 1)).toBe(true);
    expect(results.every((result) => result.rateLimit?.policy === 'default')).toBe(true);
    const charges = await everyCharge(client);
    expect(charges).toHaveLength(keys.length);
    expect(new Set(charges.map((charge) => charge.id))).toEqual(new Set(results.map((result) => result.data.id)));
    const perKey = await Promise.all(keys.map((key) => processorCharges(tenant, key)));
    expect(perKey).toEqual(keys.map(() => 1));
    expect((await client.balance.retrieve()).data.available).toEqual([{ currency: 'usd', amount: 1_500 * keys.length }]);
  });
});
