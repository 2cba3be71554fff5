import { ConditionalCheckFailedException, DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  defaultLeaseMarginMs,
  IdempotencyEngine,
  type IdempotencyEngineOptions,
  type IdempotencyKey,
  isFinal,
  withAtomicCommit,
  withoutStoring,
} from '@retrysafe/idempotency';
import { answerOfThrown, ProblemError } from '../../lambdas/http/problem.js';
import { jsonResponse } from '../../lambdas/http/types.js';

const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const ddb = mockClient(client);
const t0 = 1_700_000_000_000;

const engineWith = (options: Partial<IdempotencyEngineOptions> = {}) => {
  let clock = t0;
  const engine = new IdempotencyEngine({ client, tableName: 'idempotency', ttlSeconds: 3600, now: () => clock, ...options });
  return { engine, advance: (ms: number) => (clock += ms) };
};

const request = (key: string, fingerprint = 'fp-1') => ({ scope: 'acct_a', key: key as IdempotencyKey, fingerprint, remainingMs: 10_000 });

const claimed = async (engine: IdempotencyEngine, key: string, fingerprint = 'fp-1') => {
  const acquired = await engine.acquire(request(key, fingerprint));
  if (acquired.kind !== 'claimed') throw new Error(`expected a claim, got ${acquired.kind}`);
  return acquired.claim;
};

const completedRecord = (key: string, fingerprint: string, body: string) => ({
  pk: `acct_a#${key}`,
  status: 'COMPLETED',
  fingerprint,
  token: 'first',
  claimedAt: t0,
  completedAt: t0,
  expiresAt: Math.floor(t0 / 1000) + 3600,
  response: JSON.stringify({ statusCode: 201, headers: { 'Content-Type': 'application/json' }, body }),
});

const taken = (item: Record<string, unknown>) =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: marshall(item) });

beforeEach(() => {
  ddb.reset();
  ddb.on(PutCommand).resolves({});
  ddb.on(UpdateCommand).resolves({});
  ddb.on(DeleteCommand).resolves({});
  ddb.on(TransactWriteCommand).resolves({});
});

describe('the rule for what a request leaves under its key', () => {
  it('calls every outcome below 500 final and 500 and above not', () => {
    expect([200, 201, 402, 404, 409, 422, 499].map((statusCode) => isFinal(jsonResponse(statusCode, {})))).toEqual(Array(7).fill(true));
    expect([500, 502, 503, 504].map((statusCode) => isFinal(jsonResponse(statusCode, {})))).toEqual(Array(4).fill(false));
  });

  it('treats a problem Retrysafe throws below 500 as that final answer, and anything else thrown as releasing the key', () => {
    const finalOutcome = (error: unknown) => {
      const answer = answerOfThrown(error, 'req-1');
      return answer !== undefined && isFinal(answer) ? answer : undefined;
    };
    const notFound = finalOutcome(new ProblemError('not-found', { detail: 'No charge ch_1 exists on this account.' }));
    expect(notFound?.statusCode).toBe(404);
    expect(JSON.parse(notFound?.body ?? '')).toMatchObject({ type: 'https://retrysafe.dev/problems/not-found', instance: 'req-1' });
    expect(finalOutcome(new ProblemError('service-unavailable'))).toBeUndefined();
    expect(finalOutcome(new ProblemError('internal-error'))).toBeUndefined();
    expect(finalOutcome(new TypeError('a bug'))).toBeUndefined();
    expect(finalOutcome('not even an error')).toBeUndefined();
  });

  it('stores a final outcome with one conditional update and releases the key for a 5xx with one conditional delete', async () => {
    const { engine } = engineWith();
    const stored = await engine.finish(await claimed(engine, 'k1'), jsonResponse(402, { declined: true }));
    expect(stored.statusCode).toBe(402);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(1);
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input.ConditionExpression).toContain('#token = :token');
    expect(ddb.commandCalls(DeleteCommand)).toHaveLength(0);

    const failed = await engine.finish(await claimed(engine, 'k2'), jsonResponse(503, {}));
    expect(failed.statusCode).toBe(503);
    expect(ddb.commandCalls(DeleteCommand)).toHaveLength(1);
    expect(ddb.commandCalls(DeleteCommand)[0]?.args[0].input.ConditionExpression).toContain('#token = :token');
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(1);
  });

  it('commits business writes and the completion in one transaction', async () => {
    const { engine } = engineWith();
    const write = { Put: { TableName: 'orders', Item: { pk: 'ord_1' }, ConditionExpression: 'attribute_not_exists(pk)' } };
    await engine.finish(await claimed(engine, 'k'), withAtomicCommit(jsonResponse(201, {}), { writes: [write] }));
    const [transaction] = ddb.commandCalls(TransactWriteCommand);
    expect(transaction?.args[0].input.TransactItems).toHaveLength(2);
    expect(transaction?.args[0].input.TransactItems?.[1]?.Update?.Key).toEqual({ pk: 'acct_a#k' });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('releases the claim when storing the outcome fails, then lets the failure through', async () => {
    const { engine } = engineWith();
    ddb.on(UpdateCommand).rejects(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    const claim = await claimed(engine, 'k');
    await expect(engine.finish(claim, jsonResponse(201, {}))).rejects.toThrow('socket hang up');
    expect(ddb.commandCalls(DeleteCommand)).toHaveLength(1);
  });

  it('answers a lost claim with what the successor stored instead of its own outcome', async () => {
    const { engine } = engineWith();
    ddb.on(UpdateCommand).rejects(taken(completedRecord('k', 'fp-1', '{"by":"successor"}')));
    const answer = await engine.finish(await claimed(engine, 'k'), jsonResponse(201, { by: 'me' }));
    expect(answer.body).toBe('{"by":"successor"}');
    expect(answer.headers['Idempotent-Replayed']).toBe('true');
  });
});

describe('acquiring a key', () => {
  it('answers a completed key with a replay and a different request with key-reused carrying the original answer', async () => {
    const { engine } = engineWith();
    ddb.on(PutCommand).rejects(taken(completedRecord('k', 'fp-1', '{"id":"ch_1"}')));
    expect(await engine.acquire(request('k', 'fp-1'))).toMatchObject({
      kind: 'replay',
      response: { statusCode: 201, body: '{"id":"ch_1"}' },
    });
    expect(await engine.acquire(request('k', 'fp-2'))).toMatchObject({ kind: 'key-reused', original: { body: '{"id":"ch_1"}' } });
  });

  it('sizes the lease from the remaining time, at most the function timeout, and always adds the margin for clock skew', async () => {
    const { engine } = engineWith({ leaseMarginMs: 2_000, functionTimeoutMs: 15_000 });
    await engine.acquire({ ...request('a'), remainingMs: 10_000 });
    await engine.acquire({ ...request('b'), remainingMs: 15_000 });
    await engine.acquire({ ...request('c'), remainingMs: Number.POSITIVE_INFINITY });
    expect(ddb.commandCalls(PutCommand).map((call) => (call.args[0].input.Item?.leaseUntil as number) - t0)).toEqual([
      12_000, 17_000, 17_000,
    ]);
  });

  it('defaults the margin to five seconds, so a host whose clock runs ahead never takes over a live lease', async () => {
    const { engine } = engineWith({ functionTimeoutMs: 15_000 });
    await engine.acquire({ ...request('a'), remainingMs: 15_000 });
    expect((ddb.commandCalls(PutCommand)[0]?.args[0].input.Item?.leaseUntil as number) - t0).toBe(15_000 + defaultLeaseMarginMs);
  });

  it('addresses records in a table with a sort key by the fixed sort key value', async () => {
    const { engine } = engineWith({ sortKey: { attribute: 'sk', value: 'KEY' } });
    const claim = await claimed(engine, 'k');
    await engine.finish(claim, jsonResponse(201, {}));
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({ pk: 'acct_a#k', sk: 'KEY' });
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input.Key).toEqual({ pk: 'acct_a#k', sk: 'KEY' });
  });
});

describe('the completed-record cache', () => {
  it('replays a key this container completed with zero DynamoDB round trips, and refuses a different request the same way', async () => {
    const { engine } = engineWith({ cacheEntries: 10 });
    await engine.finish(
      await claimed(engine, 'k'),
      jsonResponse(201, { id: 'ch_1' }, { Location: '/v1/charges/ch_1', 'X-Trace': 'drop me' }),
    );
    ddb.resetHistory();

    const replay = await engine.acquire(request('k', 'fp-1'));
    expect(replay).toEqual({
      kind: 'replay',
      response: { statusCode: 201, headers: { 'Content-Type': 'application/json', Location: '/v1/charges/ch_1' }, body: '{"id":"ch_1"}' },
    });
    expect(await engine.acquire(request('k', 'fp-2'))).toMatchObject({ kind: 'key-reused', original: { body: '{"id":"ch_1"}' } });
    expect(ddb.calls()).toHaveLength(0);
  });

  it('remembers a completed record another container stored, from the failed claim that returned it', async () => {
    const { engine } = engineWith({ cacheEntries: 10 });
    ddb.on(PutCommand).rejects(taken(completedRecord('k', 'fp-1', '{"id":"ch_1"}')));
    await engine.acquire(request('k'));
    ddb.resetHistory();
    expect(await engine.acquire(request('k'))).toMatchObject({ kind: 'replay' });
    expect(ddb.calls()).toHaveLength(0);
  });

  it('never caches an in-progress or released key', async () => {
    const { engine } = engineWith({ cacheEntries: 10 });
    await engine.finish(await claimed(engine, 'failed'), jsonResponse(503, {}));
    ddb.resetHistory();
    expect((await engine.acquire(request('failed'))).kind).toBe('claimed');
    expect(ddb.commandCalls(PutCommand)).toHaveLength(1);
  });

  it('forgets a record when its TTL passes', async () => {
    const { engine, advance } = engineWith({ cacheEntries: 10 });
    await engine.finish(await claimed(engine, 'k'), jsonResponse(201, {}));
    advance(3600 * 1000);
    ddb.resetHistory();
    expect((await engine.acquire(request('k'))).kind).toBe('claimed');
    expect(ddb.commandCalls(PutCommand)).toHaveLength(1);
  });

  it('holds at most the configured number of records, forgetting the least recently used', async () => {
    const { engine } = engineWith({ cacheEntries: 2 });
    for (const key of ['a', 'b']) await engine.finish(await claimed(engine, key), jsonResponse(201, { key }));
    await engine.acquire(request('a'));
    await engine.finish(await claimed(engine, 'c'), jsonResponse(201, { key: 'c' }));
    ddb.resetHistory();
    expect((await engine.acquire(request('a'))).kind).toBe('replay');
    expect((await engine.acquire(request('c'))).kind).toBe('replay');
    expect(ddb.calls()).toHaveLength(0);
    expect((await engine.acquire(request('b'))).kind).toBe('claimed');
    expect(ddb.calls()).toHaveLength(1);
  });

  it('is off unless asked for: every replay reads DynamoDB', async () => {
    const { engine } = engineWith();
    await engine.finish(await claimed(engine, 'k'), jsonResponse(201, {}));
    ddb.resetHistory();
    ddb.on(PutCommand).rejects(taken(completedRecord('k', 'fp-1', '{}')));
    expect((await engine.acquire(request('k'))).kind).toBe('replay');
    expect(ddb.calls()).toHaveLength(1);
  });
});

describe('recovery points', () => {
  const recoverable = (key: string) => ({ ...request(key), recovery: { request: { kind: 'charge', amount: 100 } } });
  const recoveryEngine = () =>
    engineWith({ recoveryIndex: 'recovery', recoveryDelayMs: 30_000, leaseMarginMs: 2_000, functionTimeoutMs: 15_000 });

  it('claims with what finishes the request, no expiry, and an index entry due once the lease and the delay have passed', async () => {
    const { engine } = recoveryEngine();
    await engine.acquire(recoverable('k'));
    const item = ddb.commandCalls(PutCommand)[0]?.args[0].input.Item;
    expect(item).toMatchObject({
      status: 'IN_PROGRESS',
      recovery: { scope: 'acct_a', key: 'k', request: { kind: 'charge', amount: 100 }, since: t0 },
      leaseUntil: t0 + 12_000,
      recoverAt: t0 + 12_000 + 30_000,
      recoveryShard: expect.stringMatching(/^R[0-7]$/) as string,
    });
    expect(item).not.toHaveProperty('expiresAt');
  });

  it('keeps a taken-over point’s first claim time', async () => {
    const { engine } = recoveryEngine();
    await engine.acquire({ ...request('k'), recovery: { request: {}, since: t0 - 60_000 } });
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input.Item?.recovery).toMatchObject({ since: t0 - 60_000 });
  });

  it('suspends instead of releasing when the outcome is not final: the lease ends now, the completer may come after the delay', async () => {
    const { engine } = recoveryEngine();
    const claim = await claimed(engine, 'k');
    expect(claim.recoverable).toBe(false);
    const { engine: recovering } = recoveryEngine();
    const acquired = await recovering.acquire(recoverable('r'));
    if (acquired.kind !== 'claimed') throw new Error('expected a claim');
    expect(acquired.claim.recoverable).toBe(true);
    const answer = await recovering.finish(acquired.claim, jsonResponse(503, {}));
    expect(answer.statusCode).toBe(503);
    expect(ddb.commandCalls(DeleteCommand)).toHaveLength(0);
    const [suspension] = ddb.commandCalls(UpdateCommand);
    expect(suspension?.args[0].input).toMatchObject({
      UpdateExpression: 'SET #leaseUntil = :nowMs, recoverAt = :recoverAt',
      ExpressionAttributeValues: { ':nowMs': t0, ':recoverAt': t0 + 30_000 },
    });
    expect(suspension?.args[0].input.ConditionExpression).toContain('#token = :token');
  });

  it('suspends when finishing fails or the handler throws, so the point survives any failure', async () => {
    const { engine } = recoveryEngine();
    const acquired = await engine.acquire(recoverable('r'));
    if (acquired.kind !== 'claimed') throw new Error('expected a claim');
    await engine.abandon(acquired.claim);
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input.UpdateExpression).toContain('recoverAt');
    expect(ddb.commandCalls(DeleteCommand)).toHaveLength(0);
  });

  it('releases even a recovery point for an answer marked not to be stored', async () => {
    const { engine } = recoveryEngine();
    const acquired = await engine.acquire(recoverable('r'));
    if (acquired.kind !== 'claimed') throw new Error('expected a claim');
    expect((await engine.finish(acquired.claim, withoutStoring(jsonResponse(422, {})))).statusCode).toBe(422);
    expect(ddb.commandCalls(DeleteCommand)).toHaveLength(1);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('completes a point with its expiry starting now and its recovery data and index entry removed', async () => {
    const { engine } = recoveryEngine();
    const acquired = await engine.acquire(recoverable('r'));
    if (acquired.kind !== 'claimed') throw new Error('expected a claim');
    await engine.finish(acquired.claim, jsonResponse(201, {}));
    const completion = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(completion?.UpdateExpression).toMatch(/expiresAt = :expiresAt REMOVE leaseUntil, recovery, recoverAt, recoveryShard$/);
    expect(completion?.ExpressionAttributeValues).toMatchObject({ ':expiresAt': Math.floor(t0 / 1000) + 3600 });
  });

  it('finds due points in every shard of the sparse index, the longest waiting first', async () => {
    const { engine } = recoveryEngine();
    ddb.on(QueryCommand).callsFake((input: { ExpressionAttributeValues: Record<string, unknown> }) => ({
      Items:
        input.ExpressionAttributeValues[':shard'] === 'R3'
          ? [
              { pk: 'b', recoverAt: t0 - 5 },
              { pk: 'a', recoverAt: t0 - 9 },
            ]
          : [],
    }));
    const due = await engine.dueRecoveryPoints(10);
    expect(due.map((point) => point.pk)).toEqual(['a', 'b']);
    const queries = ddb.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(queries).toHaveLength(8);
    expect(queries.every((query) => query.IndexName === 'recovery' && query.ExpressionAttributeValues?.[':nowMs'] === t0)).toBe(true);
  });

  it('cannot hold recovery points in a table without the index', async () => {
    const { engine } = engineWith();
    await expect(engine.acquire(recoverable('r'))).rejects.toThrow(/recovery index/);
  });
});

describe('writes DynamoDB applied whose answers were lost', () => {
  it('recognises its own claim by the fencing token when the SDK’s retry of the put finds it', async () => {
    const { engine } = engineWith();
    ddb.on(PutCommand).callsFake((input: { Item: Record<string, unknown> }) => {
      throw taken(input.Item);
    });
    expect((await engine.acquire(request('k'))).kind).toBe('claimed');
  });

  it('recognises its own completion, with or without business writes', async () => {
    const { engine } = engineWith();
    const claim = await claimed(engine, 'k');
    ddb.on(UpdateCommand).rejects(taken({ ...completedRecord('k', 'fp-1', '{}'), token: claim.token }));
    expect((await engine.finish(claim, jsonResponse(201, { mine: true }))).body).toBe('{"mine":true}');

    const other = await claimed(engine, 'k2');
    ddb.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: 'cancelled',
        $metadata: {},
        CancellationReasons: [
          { Code: 'ConditionalCheckFailed' },
          { Code: 'ConditionalCheckFailed', Item: marshall({ ...completedRecord('k2', 'fp-1', '{}'), token: other.token }) },
        ],
      }),
    );
    const write = { Put: { TableName: 'orders', Item: { pk: 'ord_1' }, ConditionExpression: 'attribute_not_exists(pk)' } };
    const answer = await engine.finish(other, withAtomicCommit(jsonResponse(201, { mine: true }), { writes: [write] }));
    expect(answer.body).toBe('{"mine":true}');
    expect(answer.headers['Idempotent-Replayed']).toBeUndefined();
  });
});
