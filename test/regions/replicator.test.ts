import { randomUUID } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTable } from '../../local/provision.js';
import { startDynamoDbStore, type DynamoDbStore } from '../support/multi-region/dynamodb-store.js';
import { startReplicator, type Replicator, type Side } from '../support/multi-region/replicator.js';

const table = 'replicated';
const lagMs = 300;

let stores: Record<Side, DynamoDbStore> | undefined;
let replicator: Replicator | undefined;

const store = (side: Side): DynamoDbStore => {
  if (stores === undefined) throw new Error('The stores did not start');
  return stores[side];
};

const running = (): Replicator => {
  if (replicator === undefined) throw new Error('The replicator did not start');
  return replicator;
};

const put = (side: Side, item: Record<string, unknown>) => store(side).documents.send(new PutCommand({ TableName: table, Item: item }));

const read = async (side: Side, pk: string): Promise<Record<string, unknown> | undefined> =>
  (await store(side).documents.send(new GetCommand({ TableName: table, Key: { pk, sk: 'item' }, ConsistentRead: true }))).Item;

const sleep = (ms: number) => new Promise((wait) => setTimeout(wait, ms));

beforeAll(async () => {
  const [east, west] = await Promise.allSettled([startDynamoDbStore(), startDynamoDbStore()]);
  if (east.status === 'fulfilled' && west.status === 'fulfilled') stores = { east: east.value, west: west.value };
  else {
    for (const started of [east, west]) if (started.status === 'fulfilled') await started.value.stop();
    throw new Error('A DynamoDB Local did not start');
  }
  for (const side of ['east', 'west'] as const) {
    // No stream: the replicator gives the table one, as it must for the topology's tables that have none.
    await ensureTable(store(side).dynamodb, table, {
      partitionKey: { name: 'pk', type: 'S' },
      sortKey: { name: 'sk', type: 'S' },
      purpose: 'replicator test',
    });
  }
  replicator = await startReplicator({
    clients: { east: store('east'), west: store('west') },
    tables: [{ table, names: { east: table, west: table } }],
    lagMs,
  });
});

afterAll(async () => {
  await replicator?.stop();
  await Promise.all([stores?.east.stop(), stores?.west.stop()]);
});

describe('replicator (an eventual global table between two DynamoDB Locals)', () => {
  it('applies a write to the other side after the lag, not before', async () => {
    const pk = randomUUID();
    await put('east', { pk, sk: 'item', value: 1, nested: { empty: {} } });
    expect(await read('west', pk)).toBeUndefined();
    await running().drain();
    expect(await read('west', pk)).toEqual({ pk, sk: 'item', value: 1, nested: { empty: {} } });
  });

  it('makes concurrent conflicting writes converge to one of them on both sides', async () => {
    const pks = Array.from({ length: 5 }, () => randomUUID());
    await Promise.all(
      pks.flatMap((pk) => [put('east', { pk, sk: 'item', writer: 'east' }), put('west', { pk, sk: 'item', writer: 'west' })]),
    );
    await running().drain();
    for (const pk of pks) {
      const [east, west] = [await read('east', pk), await read('west', pk)];
      expect(east).toEqual(west);
      expect(['east', 'west']).toContain(east?.writer);
    }
  });

  it('replicates deletes', async () => {
    const pk = randomUUID();
    await put('west', { pk, sk: 'item' });
    await running().drain();
    expect(await read('east', pk)).toBeDefined();
    await store('east').documents.send(new DeleteCommand({ TableName: table, Key: { pk, sk: 'item' } }));
    await running().drain();
    expect(await read('west', pk)).toBeUndefined();
    expect(await read('east', pk)).toBeUndefined();
  });

  it('holds changes during a partition and applies them after it', async () => {
    const pk = randomUUID();
    running().pause();
    try {
      await put('east', { pk, sk: 'item', during: 'partition' });
      await sleep(lagMs * 3);
      expect(await read('west', pk)).toBeUndefined();
    } finally {
      running().resume();
    }
    await running().drain();
    expect(await read('west', pk)).toEqual({ pk, sk: 'item', during: 'partition' });
  });

  it('keeps the later of two writes to one item from the same side, whatever the lag did', async () => {
    const pk = randomUUID();
    running().setLag(600);
    await put('west', { pk, sk: 'item', version: 1 });
    // Long enough for the replicator to see the first write under the long lag.
    await sleep(200);
    running().setLag(50);
    await put('west', { pk, sk: 'item', version: 2 });
    running().setLag(lagMs);
    await running().drain();
    expect(await read('east', pk)).toEqual({ pk, sk: 'item', version: 2 });
  });
});
