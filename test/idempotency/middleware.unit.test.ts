import { ConditionalCheckFailedException, DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { defaultProblemTypeBase, requestFingerprint, withAtomicCommit } from '@retrysafe/idempotency';
import { jsonResponse } from '../../lambdas/http/types.js';
import { restApiEvent } from '../../local/proxy-events.js';
import { lambdaContext } from '../support/events.js';
import { wrap } from './harness.js';

const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const ddb = mockClient(client);
const options = { client, tableName: 'idempotency', now: () => 1_700_000_000_000 };

const conditionFailed = (item: Record<string, unknown>) =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: marshall(item) });

const charge = (headers: Record<string, string>, method = 'POST') =>
  restApiEvent({ method, resource: '/v1/charges', body: { amount: 1 }, headers });

const ok = async () => jsonResponse(201, { ok: true });

const sameRequest = requestFingerprint({ method: 'POST', route: '/v1/charges', body: JSON.stringify({ amount: 1 }) });

const contextWithRemaining = (remainingMs: number) => ({ ...lambdaContext(), getRemainingTimeInMillis: () => remainingMs });

beforeEach(() => {
  ddb.reset();
});

describe('idempotency middleware branches (mocked DynamoDB)', () => {
  it('answers 400 idempotency-key-missing when a required key is absent, without touching DynamoDB', async () => {
    const response = await wrap(ok, { ...options, required: true })(charge({}), lambdaContext());
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ type: `${defaultProblemTypeBase}idempotency-key-missing` });
    expect(ddb.calls()).toHaveLength(0);
  });

  it('answers 400 idempotency-key-invalid for a malformed key', async () => {
    const response = await wrap(ok, { ...options, required: true })(charge({ 'idempotency-key': '"open' }), lambdaContext());
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ type: `${defaultProblemTypeBase}idempotency-key-invalid` });
    expect(ddb.calls()).toHaveLength(0);
  });

  it('ignores the header on GET and runs an optional route without a key untouched', async () => {
    expect((await wrap(ok, options)(charge({ 'Idempotency-Key': 'k' }, 'GET'), lambdaContext())).statusCode).toBe(201);
    expect((await wrap(ok, options)(charge({}), lambdaContext())).statusCode).toBe(201);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('reads the header name case-insensitively and claims with one conditional put, completes with one update', async () => {
    ddb.on(PutCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});
    const response = await wrap(ok, options)(charge({ 'IDEMPOTENCY-KEY': 'abc' }), lambdaContext());
    expect(response.statusCode).toBe(201);
    const [put] = ddb.commandCalls(PutCommand);
    expect(put?.args[0].input).toMatchObject({
      Item: { pk: 'tenant-a#abc', status: 'IN_PROGRESS' },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    const [update] = ddb.commandCalls(UpdateCommand);
    expect(update?.args[0].input.Key).toEqual({ pk: 'tenant-a#abc' });
    expect(update?.args[0].input.ConditionExpression).toContain('#token = :token');
    expect(ddb.calls()).toHaveLength(2);
  });

  it('sizes the lease from the remaining invocation time, at most the function timeout, plus the margin for clock skew', async () => {
    ddb.on(PutCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});
    const handler = wrap(ok, { ...options, leaseMarginMs: 2_000, functionTimeoutMs: 15_000 });
    await handler(charge({ 'Idempotency-Key': 'a' }), contextWithRemaining(10_000));
    await handler(charge({ 'Idempotency-Key': 'b' }), contextWithRemaining(14_500));
    await handler(charge({ 'Idempotency-Key': 'c' }), contextWithRemaining(20_000));
    const leases = ddb.commandCalls(PutCommand).map((call) => (call.args[0].input.Item?.leaseUntil as number) - options.now());
    expect(leases).toEqual([12_000, 16_500, 17_000]);
  });

  it('answers an in-progress collision from the failed put alone, with a Retry-After that grows with the claim’s age', async () => {
    ddb.on(PutCommand).rejects(
      conditionFailed({
        pk: 'tenant-a#k',
        status: 'IN_PROGRESS',
        fingerprint: sameRequest,
        token: 't',
        claimedAt: options.now() - 3_500,
        leaseUntil: options.now() + 10_000,
        expiresAt: 1_800_000_000,
      }),
    );
    const response = await wrap(ok, options)(charge({ 'Idempotency-Key': 'k' }), lambdaContext());
    expect(response.statusCode).toBe(409);
    expect(response.headers['Retry-After']).toBe('4');
    expect(JSON.parse(response.body)).toMatchObject({ type: `${defaultProblemTypeBase}idempotency-key-in-use` });
    expect(ddb.calls()).toHaveLength(1);
  });

  it('answers a mismatched fingerprint with 422 from the failed put alone', async () => {
    ddb.on(PutCommand).rejects(
      conditionFailed({
        pk: 'tenant-a#k',
        status: 'IN_PROGRESS',
        fingerprint: 'other',
        token: 't',
        claimedAt: options.now(),
        leaseUntil: options.now() + 10_000,
        expiresAt: 1_800_000_000,
      }),
    );
    const response = await wrap(ok, options)(charge({ 'Idempotency-Key': 'k' }), lambdaContext());
    expect(response.statusCode).toBe(422);
    expect(ddb.calls()).toHaveLength(1);
  });

  it('never releases a claim it does not hold (Powertools deletes the original’s record here)', async () => {
    ddb.on(PutCommand).rejects(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    const response = await wrap(ok, options)(charge({ 'Idempotency-Key': 'k' }), lambdaContext());
    expect(response.statusCode).toBe(503);
    expect(ddb.commandCalls(DeleteCommand)).toHaveLength(0);
  });

  it('completes conditionally on its fencing token and answers from the successor’s record when it lost the lease', async () => {
    ddb.on(PutCommand).resolves({});
    ddb.on(UpdateCommand).rejects(
      conditionFailed({
        pk: 'tenant-a#k',
        status: 'COMPLETED',
        fingerprint: sameRequest,
        token: 'successor',
        claimedAt: options.now(),
        completedAt: options.now(),
        expiresAt: 1_800_000_000,
        response: JSON.stringify({ statusCode: 201, headers: { 'Content-Type': 'application/json' }, body: '{"by":"successor"}' }),
      }),
    );
    const response = await wrap(ok, options)(charge({ 'Idempotency-Key': 'k' }), lambdaContext());
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues).toMatchObject({
      ':token': expect.any(String) as string,
    });
    expect(response.statusCode).toBe(201);
    expect(response.body).toBe('{"by":"successor"}');
    expect(response.headers['Idempotent-Replayed']).toBe('true');
    expect(ddb.commandCalls(DeleteCommand)).toHaveLength(0);
  });

  it('retries a transaction cancelled only by a conflict, then commits', async () => {
    ddb.on(PutCommand).resolves({});
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(
        new TransactionCanceledException({
          message: 'conflict',
          $metadata: {},
          CancellationReasons: [{ Code: 'TransactionConflict' }, { Code: 'None' }],
        }),
      )
      .resolves({});
    const handler = wrap(
      async () => withAtomicCommit(jsonResponse(201, {}), { writes: [{ Put: { TableName: 'payments', Item: { pk: 'a', sk: 'b' } } }] }),
      options,
    );
    expect((await handler(charge({ 'Idempotency-Key': 'k' }), lambdaContext())).statusCode).toBe(201);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(2);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('commits a handler’s writes alone when the request carried no key', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    const handler = wrap(
      async () => withAtomicCommit(jsonResponse(201, {}), { writes: [{ Put: { TableName: 'payments', Item: { pk: 'a', sk: 'b' } } }] }),
      options,
    );
    expect((await handler(charge({}), lambdaContext())).statusCode).toBe(201);
    expect(ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems).toHaveLength(1);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });
});
