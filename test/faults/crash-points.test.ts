import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpResponse } from '../../lambdas/http/types.js';
import type { CardProcessor } from '../../lambdas/payments/processor-client/card-processor.js';
import { api, json, sandbox, startSandbox, type Api } from '../payments/harness.js';
import { runCompleterLater, testClock, longestLeaseMs } from '../support/completer-run.js';
import { uniqueKey } from '../support/events.js';
import { usePrivateIdempotencyTable } from '../support/private-idempotency-table.js';
import { createTenant, type TestTenant } from '../support/tenants.js';
import { assertPaymentInvariants } from './invariants.js';

/**
 * The charge and refund flows killed at each point a Lambda can die, each followed by a client
 * that retries with the same key and by one that never comes back. Either way, once the
 * completer has run, the processor and Retrysafe hold the same charges and refunds, one event
 * each. The completer takes over every tenant's recovery points and this file moves its clock
 * past their leases, so it keeps an idempotency table of its own.
 */
let processor: Awaited<ReturnType<typeof startSandbox>>;
const since = Date.now() - 60_000;
/** One clock for the whole file, only ever moved forward, so no point a test leaves behind is ever due in the past. */
const clock = testClock();
const body = { amount: 2_000, currency: 'gbp', source: 'tok_visa' };
const refundBody = { amount: 500 };

beforeAll(async () => {
  await usePrivateIdempotencyTable('crash-points');
  processor = await startSandbox();
});
afterAll(() => {
  processor.stop();
});

const crashPoints = ['before-processor', 'after-processor', 'after-commit'] as const;
type CrashPoint = (typeof crashPoints)[number];
type Operation = 'charge' | 'refund';

const hangs = <T>(): Promise<T> => new Promise<T>(() => undefined);

/**
 * A processor whose first caller of `operation` dies at `point`: that invocation never returns
 * and nothing after it runs. Dying after the commit needs no help: the response is simply lost.
 */
const dyingAt = (point: CrashPoint, operation: Operation, real: CardProcessor) => {
  let first = true;
  let died!: () => void;
  const death = new Promise<void>((resolve) => {
    died = resolve;
  });
  const around = async <T>(call: () => Promise<T>): Promise<T> => {
    const dies = first;
    first = false;
    if (dies && point === 'before-processor') {
      died();
      return hangs();
    }
    const outcome = await call();
    if (dies && point === 'after-processor') {
      died();
      return hangs();
    }
    return outcome;
  };
  const processor: CardProcessor =
    operation === 'charge'
      ? { ...real, charge: (request) => around(() => real.charge(request)) }
      : { ...real, refund: (request) => around(() => real.refund(request)) };
  return { processor, death };
};

/** One charge or refund request, repeatable with the same key and body. */
interface Attempt {
  readonly send: (client: Api) => Promise<HttpResponse>;
}

const setUp = async (operation: Operation): Promise<{ tenant: TestTenant; attempt: Attempt }> => {
  const tenant = await createTenant();
  const key = uniqueKey();
  if (operation === 'charge') return { tenant, attempt: { send: (client) => client.post('/v1/charges', { tenant, key, body }) } };
  const charged = await api({ processor: sandbox(processor.url), now: clock.now }).post('/v1/charges', { tenant, key: uniqueKey(), body });
  expect(charged.statusCode).toBe(201);
  const path = `/v1/charges/${json<{ id: string }>(charged).id}/refunds`;
  return { tenant, attempt: { send: (client) => client.post(path, { tenant, key, body: refundBody }) } };
};

/** Sends the first request and returns once its invocation has died, or its lost answer came back. */
const firstRequestDies = async (point: CrashPoint, operation: Operation, attempt: Attempt): Promise<Api> => {
  const dying = dyingAt(point, operation, sandbox(processor.url));
  const client = api({ processor: dying.processor, now: clock.now });
  const first = attempt.send(client);
  await (point === 'after-commit' ? first : dying.death);
  return client;
};

/** What the processor and Retrysafe both hold once the dust settles, for one request's operation. */
const expected = (operation: Operation, made: boolean) =>
  operation === 'charge'
    ? { charges: made ? 1 : 0, succeeded: made ? 1 : 0, refunds: 0 }
    : { charges: 1, succeeded: 1, refunds: made ? 1 : 0 };

describe.each(['charge', 'refund'] as const)('crash points of the %s flow', (operation) => {
  describe.each(crashPoints)('a Lambda that dies %s', (point) => {
    it('and a client that retries with the same key: made once, the retry’s answer, nothing left for the completer', async () => {
      const { tenant, attempt } = await setUp(operation);
      const client = await firstRequestDies(point, operation, attempt);

      if (point !== 'after-commit') {
        // The dead invocation's lease still holds the key; once it runs out, the retry takes over.
        expect((await attempt.send(client)).statusCode).toBe(409);
        clock.advance(longestLeaseMs);
      }
      const retry = await attempt.send(client);
      expect(retry.statusCode).toBe(201);
      expect(retry.headers['Idempotent-Replayed']).toBe(point === 'after-commit' ? 'true' : undefined);
      expect(json(retry)).toMatchObject({ status: 'succeeded', amount: operation === 'charge' ? body.amount : refundBody.amount });

      const summary = await runCompleterLater(clock, sandbox(processor.url));
      expect(summary.resolutions).toEqual({ committed: 0, 'not-charged': 0, 'still-unknown': 0, taken: 0 });
      expect(await assertPaymentInvariants({ api: client, tenant, processorUrl: processor.url, since })).toEqual(expected(operation, true));
    });

    it('and a client that never comes back: the completer finishes what the processor did, and nothing else', async () => {
      const { tenant, attempt } = await setUp(operation);
      const client = await firstRequestDies(point, operation, attempt);

      const summary = await runCompleterLater(clock, sandbox(processor.url));
      // Before the processor call nothing happened there: the key is released. After it, the
      // completer commits what the processor made. After the commit there is nothing to do.
      expect(summary.resolutions).toEqual({
        committed: point === 'after-processor' ? 1 : 0,
        'not-charged': point === 'before-processor' ? 1 : 0,
        'still-unknown': 0,
        taken: 0,
      });
      const made = point !== 'before-processor';
      expect(await assertPaymentInvariants({ api: client, tenant, processorUrl: processor.url, since })).toEqual(expected(operation, made));
    });
  });
});
