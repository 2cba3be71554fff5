import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { IdempotencyEngine, type IdempotencyKey, type IdempotencyOutcome } from '@retrysafe/idempotency';
import { observeKeyedRequest } from '../../lambdas/http/idempotency-telemetry.js';
import { jsonResponse } from '../../lambdas/http/types.js';
import { keyHash } from '../../lambdas/shared/key-hash.js';
import { metricServices } from '../../lambdas/shared/metric-names.js';
import type { MetricRecorder } from '../../lambdas/shared/metric-recorder.js';
import { currentRequestLogContext, withRequestLogContext } from '../../lambdas/shared/request-log-context.js';

const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const ddb = mockClient(client);
const t0 = 1_700_000_000_000;

const engine = () =>
  new IdempotencyEngine({ client, tableName: 'idempotency', ttlSeconds: 3600, recoveryIndex: 'recovery', now: () => t0 });

/** Every outcome the engine told the request's observer while `run` ran. */
const outcomesOf = async (run: (seen: IdempotencyOutcome[]) => Promise<unknown>): Promise<IdempotencyOutcome[]> => {
  const seen: IdempotencyOutcome[] = [];
  await run(seen);
  return seen;
};

const request = (seen: IdempotencyOutcome[], fingerprint = 'fp-1') => ({
  scope: 'acct_a',
  key: 'k' as IdempotencyKey,
  fingerprint,
  remainingMs: 10_000,
  observe: (outcome: IdempotencyOutcome) => seen.push(outcome),
});

const record = (fields: Record<string, unknown>) => ({
  pk: 'acct_a#k',
  fingerprint: 'fp-1',
  token: 'other',
  claimedAt: t0 - 60_000,
  ...fields,
});
const completed = record({
  status: 'COMPLETED',
  expiresAt: Math.floor(t0 / 1000) + 3600,
  response: JSON.stringify({ statusCode: 201, headers: {}, body: '{}' }),
});
const taken = (item: Record<string, unknown>) =>
  new ConditionalCheckFailedException({ message: 'taken', $metadata: {}, Item: marshall(item) });

beforeEach(() => {
  ddb.reset();
  ddb.on(PutCommand).resolves({});
  ddb.on(UpdateCommand).resolves({});
  ddb.on(DeleteCommand).resolves({});
});

describe('idempotency outcomes an adapter is told', () => {
  it('tells a first execution, and a release when its 5xx gives the key back', async () => {
    const seen = await outcomesOf(async (seen) => {
      const engineUnderTest = engine();
      const acquired = await engineUnderTest.acquire(request(seen));
      if (acquired.kind !== 'claimed') throw new Error(acquired.kind);
      await engineUnderTest.finish(acquired.claim, jsonResponse(503, {}));
    });
    expect(seen).toEqual(['first-execution', 'released']);
  });

  it('tells a takeover of an expired lease apart from a resumed recovery point, which is suspended rather than released', async () => {
    ddb.on(PutCommand).resolves({ Attributes: record({ status: 'IN_PROGRESS', leaseUntil: t0 - 1 }) });
    expect(await outcomesOf((seen) => engine().acquire(request(seen)))).toEqual(['takeover']);

    ddb.on(PutCommand).resolves({
      Attributes: record({ status: 'IN_PROGRESS', leaseUntil: t0 - 1, recovery: { scope: 'acct_a', key: 'k', request: {}, since: t0 } }),
    });
    const seen = await outcomesOf(async (seen) => {
      const engineUnderTest = engine();
      const acquired = await engineUnderTest.acquire({ ...request(seen), recovery: { request: {} } });
      if (acquired.kind !== 'claimed') throw new Error(acquired.kind);
      await engineUnderTest.finish(acquired.claim, jsonResponse(503, {}));
    });
    expect(seen).toEqual(['resumed', 'suspended']);
  });

  it('tells a replay, a reused key and a key in use', async () => {
    ddb.on(PutCommand).rejects(taken(completed));
    expect(await outcomesOf((seen) => engine().acquire(request(seen)))).toEqual(['replay']);
    expect(await outcomesOf((seen) => engine().acquire(request(seen, 'fp-2')))).toEqual(['reused']);

    ddb.on(PutCommand).rejects(taken(record({ status: 'IN_PROGRESS', leaseUntil: t0 + 10_000 })));
    expect(await outcomesOf((seen) => engine().acquire(request(seen)))).toEqual(['in-use']);
  });
});

describe('an API request under a key', () => {
  const recorded: unknown[][] = [];
  const recorder: MetricRecorder<'idempotency'> = { record: (...args) => void recorded.push(args) };

  it('counts each outcome under its own metric with the route as dimension, and logs the key only as its hash', async () => {
    recorded.length = 0;
    const key = 'order-4711-customer@example.com' as IdempotencyKey;
    const context = await withRequestLogContext({ requestId: 'req-1' }, async () => {
      const observe = observeKeyedRequest(recorder, 'POST /v1/charges')(key);
      for (const outcome of ['first-execution', 'replay', 'in-use', 'reused', 'takeover', 'resumed', 'released', 'suspended'] as const)
        observe(outcome);
      return currentRequestLogContext();
    });
    const names = metricServices.idempotency.metrics;
    expect(recorded).toEqual(
      (['firstExecution', 'replay', 'inUse', 'reused', 'takeover', 'resumed', 'released', 'suspended'] as const).map((name) => [
        name,
        'Count',
        1,
        { route: 'POST /v1/charges' },
      ]),
    );
    expect(Object.keys(names)).toHaveLength(8);
    expect(context).toEqual({ requestId: 'req-1', idempotencyKeyHash: keyHash(key) });
    expect(keyHash(key)).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.stringify(context)).not.toContain(key);
  });
});
