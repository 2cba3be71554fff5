import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbKeyOwnership, recordId } from '@retrysafe/idempotency';
import { jsonResponse } from '../../lambdas/http/types.js';
import { createDocumentClient, dynamo } from '../../lambdas/shared/dynamodb.js';
import { tables } from '../../lambdas/topology.js';
import { ensureTable } from '../../local/provision.js';
import { restApiEvent } from '../../local/proxy-events.js';
import { lambdaContext, uniqueKey } from '../support/events.js';
import { wrap } from './harness.js';

/**
 * Two regions, each with its own records table (its replica, which nothing replicates here, so
 * every cross-region answer comes from what the test copies over) and one owners table both see,
 * as an MRSC table makes them. The ownership, not the records, decides where a key executes.
 */
const suffix = randomUUID().slice(0, 8);
const ownersTable = `test-key-owners-${suffix}`;
const replicaTable = (region: string) => `test-idempotency-${region}-${suffix}`;
const scope = 'tenant-a';

const charge = (key: string, body: unknown = { amount: 100 }) =>
  restApiEvent({ resource: '/v1/charges', body, headers: { 'Idempotency-Key': key } });

const regionHandler = (region: string, runs: string[]) =>
  wrap(
    async () => {
      runs.push(region);
      return jsonResponse(201, { id: `ch_${region}` });
    },
    {
      tableName: replicaTable(region),
      scope: () => scope,
      ownership: new DynamoDbKeyOwnership({ client: dynamo(), tableName: ownersTable, region }),
    },
  );

/** What MREC would do a moment later: the owner's record arrives in the other replica. */
const replicate = async (key: string, from: string, to: string) => {
  const { Item } = await dynamo().send(
    new GetCommand({ TableName: replicaTable(from), Key: { pk: recordId(scope, key as never) }, ConsistentRead: true }),
  );
  if (Item === undefined) throw new Error(`No record of ${key} in ${from}`);
  await dynamo().send(new PutCommand({ TableName: replicaTable(to), Item }));
};

beforeAll(async () => {
  const admin = new DynamoDBClient({});
  await ensureTable(admin, ownersTable, tables.keyOwners);
  for (const region of ['us-east-1', 'us-west-2']) await ensureTable(admin, replicaTable(region), tables.idempotency);
  admin.destroy();
});

describe('key ownership across regions', () => {
  it('executes a key sent to both regions at once in exactly one of them', async () => {
    const runs: string[] = [];
    const east = regionHandler('us-east-1', runs);
    const west = regionHandler('us-west-2', runs);
    for (let round = 0; round < 10; round++) {
      const key = uniqueKey();
      const [a, b] = await Promise.all([east(charge(key), lambdaContext()), west(charge(key), lambdaContext())]);
      const statuses = [a.statusCode, b.statusCode].sort();
      expect(statuses).toEqual([201, 409]);
    }
    expect(runs).toHaveLength(10);
  });

  it("answers a retry in the other region from that region's replica: in use, then the owner's answer", async () => {
    const runs: string[] = [];
    const east = regionHandler('us-east-1', runs);
    const west = regionHandler('us-west-2', runs);
    const key = uniqueKey();
    const first = await east(charge(key), lambdaContext());
    expect(first.statusCode).toBe(201);

    const beforeReplication = await west(charge(key), lambdaContext());
    expect(beforeReplication.statusCode).toBe(409);
    expect(beforeReplication.headers['Retry-After']).toBe('1');

    await replicate(key, 'us-east-1', 'us-west-2');
    const afterReplication = await west(charge(key), lambdaContext());
    expect(afterReplication).toMatchObject({ statusCode: 201, body: first.body, headers: { 'Idempotent-Replayed': 'true' } });

    await replicate(key, 'us-east-1', 'us-west-2');
    const reused = await west(charge(key, { amount: 999 }), lambdaContext());
    expect(reused.statusCode).toBe(422);
    expect(runs).toEqual(['us-east-1']);
  });

  it('lets another region take a key over once its ownership has expired', async () => {
    const runs: string[] = [];
    const key = uniqueKey();
    await dynamo().send(
      new PutCommand({
        TableName: ownersTable,
        Item: { pk: recordId(scope, key as never), region: 'us-east-1', claimedAt: 0, expiresAt: Math.floor(Date.now() / 1000) - 1 },
      }),
    );
    const west = regionHandler('us-west-2', runs);
    expect((await west(charge(key), lambdaContext())).statusCode).toBe(201);
    expect(runs).toEqual(['us-west-2']);
  });
});

describe('DynamoDbKeyOwnership', () => {
  const conflict = Object.assign(new Error('being modified in another Region'), { name: 'ReplicatedWriteConflictException' });

  it('retries a replicated write conflict and owns the key once the other region lets go', async () => {
    const client = createDocumentClient(new DynamoDBClient({}));
    const mock = mockClient(client);
    mock.on(PutCommand).rejectsOnce(conflict).resolves({});
    const ownership = new DynamoDbKeyOwnership({ client, tableName: 'owners', region: 'us-east-1' });
    expect(await ownership.claim('scope#key', Date.now(), 0)).toEqual({ kind: 'here' });
    expect(mock.commandCalls(PutCommand)).toHaveLength(2);
    mock.restore();
  });

  it('answers contended, never an error, when the conflict outlasts its retries', async () => {
    const client = createDocumentClient(new DynamoDBClient({}));
    const mock = mockClient(client);
    mock.on(PutCommand).rejects(conflict);
    const ownership = new DynamoDbKeyOwnership({ client, tableName: 'owners', region: 'us-east-1' });
    expect(await ownership.claim('scope#key', Date.now(), 0)).toEqual({ kind: 'contended' });
    mock.restore();
  });
});
