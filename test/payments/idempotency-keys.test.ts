import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testClock } from '../support/completer-run.js';
import { uniqueKey } from '../support/events.js';
import { usePrivateIdempotencyTable } from '../support/private-idempotency-table.js';
import { createTenant } from '../support/tenants.js';
import { api, json, sandbox, startSandbox } from './harness.js';

/** GET /v1/idempotency_keys/{key}: a client that lost its answer asks instead of POSTing again. */
let processor: Awaited<ReturnType<typeof startSandbox>>;
const clock = testClock();

beforeAll(async () => {
  // A recovery point this file leaves behind must not meet another file's completer.
  await usePrivateIdempotencyTable('idempotency-keys');
  processor = await startSandbox();
});
afterAll(() => {
  processor.stop();
});

const charge = (source = 'tok_visa') => ({ amount: 2_500, currency: 'usd', source });
const day = 24 * 3600;

const keyPath = (key: string) => `/v1/idempotency_keys/${key}`;

describe('GET /v1/idempotency_keys/{key}', () => {
  const client = () => api({ processor: sandbox(processor.url), now: clock.now });

  it('names what a completed key made and when it will be forgotten', async () => {
    const tenant = await createTenant();
    const key = uniqueKey();
    const created = json<{ id: string }>(await client().post('/v1/charges', { tenant, key, body: charge() }));
    const answer = await client().get(keyPath(key), tenant);
    expect(answer.statusCode).toBe(200);
    const view = json<{ created: number; expires_at: number }>(answer);
    expect(view).toEqual({
      object: 'idempotency_key',
      key,
      status: 'completed',
      created: expect.any(Number) as number,
      expires_at: view.created + day,
      response: { status: 201, resource: { object: 'charge', id: created.id } },
    });
  });

  it('names the failed charge of a decline, and a refund by its own key', async () => {
    const tenant = await createTenant();
    const declinedKey = uniqueKey();
    const declined = json<{ charge: { id: string } }>(
      await client().post('/v1/charges', { tenant, key: declinedKey, body: charge('tok_chargeDeclined') }),
    );
    expect(json(await client().get(keyPath(declinedKey), tenant))).toMatchObject({
      status: 'completed',
      response: { status: 402, resource: { object: 'charge', id: declined.charge.id } },
    });

    const paid = json<{ id: string }>(await client().post('/v1/charges', { tenant, key: uniqueKey(), body: charge() }));
    const refundKey = uniqueKey();
    const refund = json<{ id: string }>(await client().post(`/v1/charges/${paid.id}/refunds`, { tenant, key: refundKey, body: {} }));
    expect(json(await client().get(keyPath(refundKey), tenant))).toMatchObject({
      response: { status: 201, resource: { object: 'refund', id: refund.id } },
    });
  });

  it('shows a charge that stopped before an answer as in recovery, kept until it ends', async () => {
    const tenant = await createTenant();
    const key = uniqueKey();
    expect((await client().post('/v1/charges', { tenant, key, body: charge('tok_processor_error') })).statusCode).toBe(503);
    expect(json(await client().get(keyPath(key), tenant))).toMatchObject({ status: 'in_recovery', expires_at: null, response: null });
  });

  it('still knows a charge a day after its record expired, from the key guard', async () => {
    const tenant = await createTenant();
    const key = `order/${uniqueKey()} with spaces`;
    const created = json<{ id: string }>(await client().post('/v1/charges', { tenant, key, body: charge() }));
    const later = testClock(clock.now() + 2 * day * 1000);
    const answer = await api({ processor: sandbox(processor.url), now: later.now }).get(keyPath(key), tenant);
    expect(json(answer)).toMatchObject({
      key,
      status: 'completed',
      expires_at: null,
      response: { status: 201, resource: { id: created.id } },
    });
  });

  it("is 404 for a key never sent and for another account's key, alike", async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const key = uniqueKey();
    await client().post('/v1/charges', { tenant, key, body: charge() });
    const foreign = await client().get(keyPath(key), other);
    const unknown = await client().get(keyPath(uniqueKey()), tenant);
    expect(foreign.statusCode).toBe(404);
    expect(unknown.statusCode).toBe(404);
    expect(json(foreign)).toEqual(json(unknown));
    expect(json(await client().get(keyPath('caf\u00e9'), tenant))).toMatchObject({ status: 400, field: 'key' });
  });
});
