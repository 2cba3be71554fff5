import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CardProcessor } from '../../lambdas/payments/processor-client/card-processor.js';
import { api, json, processorChargesFor, sandbox, startSandbox } from '../payments/harness.js';
import { downstreamKey } from '../../lambdas/payments/key-guard.js';
import type { IdempotencyKey } from '../../lambdas/idempotency/index.js';
import { uniqueKey } from '../support/events.js';
import { createTenant } from '../support/tenants.js';
import { assertPaymentInvariants } from './invariants.js';

let processor: Awaited<ReturnType<typeof startSandbox>>;
const since = Date.now() - 60_000;
const body = { amount: 2_000, currency: 'gbp', source: 'tok_visa' };
/** Longer than any lease: the charges function times out after 15 s. */
const afterTheLease = 20_000;

beforeAll(async () => {
  processor = await startSandbox();
});
afterAll(() => {
  processor.stop();
});

/** A processor whose caller dies at a chosen point: the invocation never returns, nothing after it runs. */
const dyingAt = (point: 'before-processor' | 'after-processor', real: CardProcessor) => {
  let dead = true;
  let died!: () => void;
  const death = new Promise<void>((resolve) => {
    died = resolve;
  });
  const processor: CardProcessor = {
    ...real,
    charge: async (request) => {
      if (dead && point === 'before-processor') {
        died();
        return new Promise(() => undefined);
      }
      const outcome = await real.charge(request);
      if (dead && point === 'after-processor') {
        died();
        return new Promise(() => undefined);
      }
      return outcome;
    },
  };
  return {
    processor,
    death,
    revive: () => {
      dead = false;
    },
  };
};

describe('crash points of the charge flow', () => {
  it.each(['before-processor', 'after-processor'] as const)(
    'a Lambda that dies %s leaves a key the retry completes, charged once',
    async (point) => {
      let clock = Date.now();
      const dying = dyingAt(point, sandbox(processor.url));
      const client = api({ processor: dying.processor, now: () => clock });
      const tenant = await createTenant();
      const key = uniqueKey();
      void client.post('/v1/charges', { tenant, key, body });
      await dying.death;
      dying.revive();

      expect((await client.post('/v1/charges', { tenant, key, body })).statusCode).toBe(409);
      clock += afterTheLease;
      const retry = await client.post('/v1/charges', { tenant, key, body });
      expect(retry.statusCode).toBe(201);
      expect(json(retry)).toMatchObject({ status: 'succeeded', amount: 2_000 });
      await assertPaymentInvariants({ api: client, tenant, keys: [key], processorUrl: processor.url, since, now: clock });
      expect(await processorChargesFor(processor.url, downstreamKey(tenant.account, key as IdempotencyKey), since)).toBe(1);
    },
  );

  it('a Lambda that dies after the commit but before the response leaves a replay for the retry', async () => {
    let calls = 0;
    const real = sandbox(processor.url);
    const client = api({
      processor: {
        ...real,
        charge: (request) => {
          calls++;
          return real.charge(request);
        },
      },
    });
    const tenant = await createTenant();
    const key = uniqueKey();
    // The response is lost on the way out: only the committed state remains.
    await client.post('/v1/charges', { tenant, key, body });
    const retry = await client.post('/v1/charges', { tenant, key, body });
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['Idempotent-Replayed']).toBe('true');
    expect(calls).toBe(1);
    await assertPaymentInvariants({ api: client, tenant, keys: [key], processorUrl: processor.url, since });
  });
});
