import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdempotencyKey } from '@retrysafe/idempotency';
import { apiPipelineFromEnvironment, apiRoute } from '../../lambdas/http/api-route.js';
import type { Schedule } from '../../lambdas/http/deadline.js';
import { problemTypeBase } from '../../lambdas/http/problem-types.js';
import { downstreamKey } from '../../lambdas/payments/key-guard.js';
import type { CardProcessor } from '../../lambdas/payments/processor-client/card-processor.js';
import { dynamo } from '../../lambdas/shared/dynamodb.js';
import { tableName } from '../../lambdas/shared/env.js';
import { restApiEvent } from '../../local/proxy-events.js';
import { api, json, processorChargesFor, sandbox, startSandbox } from '../payments/harness.js';
import { lambdaContext, uniqueKey } from '../support/events.js';
import { createTenant, type TestTenant } from '../support/tenants.js';

/**
 * A request that runs out of time answers 503 with Retry-After, never 500 or 502. Time here is
 * the test's: every deadline timer waits until the test fires it, earliest first, so nothing
 * depends on how fast this machine is.
 */
const handTimers = () => {
  const pending: { readonly delayMs: number; readonly fire: () => void }[] = [];
  const schedule: Schedule = (delayMs, fire) => {
    const timer = { delayMs, fire };
    pending.push(timer);
    return () => {
      pending.splice(pending.indexOf(timer), 1);
    };
  };
  /** Moves the clock to the earliest pending deadline: a request's work deadline comes before its answer deadline. */
  const fireNext = () => {
    pending.sort((a, b) => a.delayMs - b.delayMs);
    pending.shift()?.fire();
  };
  return { schedule, fireNext };
};

/** A processor that never answers, as one does under overload; it gives up only when its caller's signal aborts. */
const unanswering = (onCall: () => void): CardProcessor => {
  const hang = (signal: AbortSignal | undefined) =>
    new Promise<never>((_, reject) => {
      onCall();
      signal?.addEventListener('abort', () => {
        reject(signal.reason as Error);
      });
    });
  return {
    charge: (_, signal) => hang(signal),
    refund: (_, signal) => hang(signal),
    findCharge: (_, signal) => hang(signal),
    findRefund: (_, signal) => hang(signal),
    listCharges: (_, signal) => hang(signal),
    listRefunds: (_, signal) => hang(signal),
  };
};

let processor: Awaited<ReturnType<typeof startSandbox>>;
const started = Date.now();

beforeAll(async () => {
  processor = await startSandbox();
});
afterAll(() => {
  processor.stop();
});

const body = { amount: 700, currency: 'usd', source: 'tok_visa' };

const recordOf = async (tenant: TestTenant, key: string) =>
  (
    await dynamo().send(
      new GetCommand({ TableName: tableName('idempotency'), Key: { pk: `${tenant.account}#${key}` }, ConsistentRead: true }),
    )
  ).Item;

const expectOutOfTime = (response: { statusCode: number; headers: Record<string, string>; body: string }, slug: string) => {
  expect(response.statusCode).toBe(503);
  expect(response.headers['Content-Type']).toBe('application/problem+json');
  expect(response.headers['Retry-After']).toBe('1');
  expect(json(response)).toMatchObject({ type: `${problemTypeBase}${slug}`, status: 503 });
};

/** The key was kept as a suspended recovery point: its lease ended, nothing was stored, and a retry takes it over at once. */
const expectSuspendedRecoveryPoint = async (tenant: TestTenant, key: string) => {
  const record = await recordOf(tenant, key);
  expect(record).toMatchObject({ status: 'IN_PROGRESS', recovery: { key } });
  expect(record?.leaseUntil).toBeLessThanOrEqual(Date.now());
};

/** The retry, with a processor that answers, charges exactly once. */
const expectRetryChargesOnce = async (tenant: TestTenant, key: string) => {
  const retried = await api({ processor: sandbox(processor.url) }).post('/v1/charges', { tenant, key, body });
  expect(retried.statusCode).toBe(201);
  expect(await processorChargesFor(processor.url, downstreamKey(tenant.account, key as IdempotencyKey), started - 60_000)).toBe(1);
};

describe('a request that runs out of time', () => {
  it('answers 503 processor-unavailable when the processor is what it waits on, and keeps the key as a recovery point', async () => {
    const timers = handTimers();
    const client = api({ processor: unanswering(timers.fireNext), schedule: timers.schedule });
    const tenant = await createTenant();
    const key = uniqueKey();

    expectOutOfTime(await client.post('/v1/charges', { tenant, key, body }), 'processor-unavailable');
    await expectSuspendedRecoveryPoint(tenant, key);
    await expectRetryChargesOnce(tenant, key);
  });

  it('answers 503 service-unavailable, without calling the processor, when its work deadline passes before the call', async () => {
    const timers = handTimers();
    let processorCalls = 0;
    const client = api({
      processor: unanswering(() => {
        processorCalls += 1;
      }),
      schedule: timers.schedule,
    });
    const tenant = await createTenant();
    const key = uniqueKey();

    const answer = client.post('/v1/charges', { tenant, key, body });
    timers.fireNext();
    expectOutOfTime(await answer, 'service-unavailable');
    expect(processorCalls).toBe(0);
    await expectSuspendedRecoveryPoint(tenant, key);
    await expectRetryChargesOnce(tenant, key);
  });

  it('answers 503 at its answer deadline even when what hangs is outside the handler', async () => {
    const timers = handTimers();
    const pipeline = apiPipelineFromEnvironment('account', { schedule: timers.schedule });
    const stuck = apiRoute(
      { ...pipeline, authenticate: { before: () => new Promise<never>(() => undefined) } },
      { route: 'GET /v1/balance', handle: () => Promise.reject(new Error('never reached')) },
    );
    const answer = stuck(restApiEvent({ method: 'GET', path: '/v1/balance', resource: '/v1/balance' }), lambdaContext());
    timers.fireNext();
    timers.fireNext();
    expectOutOfTime(await answer, 'service-unavailable');
  });

  it('answers as usual while time remains', async () => {
    const timers = handTimers();
    const client = api({ processor: sandbox(processor.url), schedule: timers.schedule });
    const tenant = await createTenant();
    expect((await client.post('/v1/charges', { tenant, key: uniqueKey(), body })).statusCode).toBe(201);
  });
});
