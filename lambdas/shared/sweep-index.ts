import { createHash } from 'node:crypto';
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { IndexSpec, KeyAttribute } from '../topology.js';

/**
 * The partition keys of the sweeper's sparse indexes (lambdas/topology.ts). One value would put
 * every index write of a table into one index partition, whose limit (about 1,000 writes a
 * second; an event costs two, in and out) would then throttle the charges writing the events;
 * four spread them far beyond the API's stage throttling, for four small queries per index per
 * sweep.
 */
export const sweepShardCount = 4;

export const sweepShards: readonly number[] = Array.from({ length: sweepShardCount }, (_, shard) => shard);

/** Derived from the item's id, so a repeated write of the same item lands in the same shard. */
export const sweepShardOf = (id: string): number => (createHash('sha256').update(id, 'utf8').digest()[0] ?? 0) % sweepShardCount;

/** The primary key of an item found through an index (both tables the sweeper reads use pk and sk). */
export interface TableKey {
  readonly pk: string;
  readonly sk: string;
}

export type SweepIndex = IndexSpec & { readonly sortKey: KeyAttribute };

const pageSize = 100;

/** An entry of a sweeper index: the item's primary key, and the index's sort key (when it is due). */
export interface SweepIndexEntry {
  readonly key: TableKey;
  readonly sortValue: number;
}

/**
 * The entries of one shard of a sweeper index whose sort key is at most `upTo`, lowest first, a
 * page at a time. The index is eventually consistent and holds keys only: the caller reads each
 * item before acting on it.
 */
export async function* sweepIndexEntries(
  client: DynamoDBDocumentClient,
  table: string,
  index: SweepIndex,
  shard: number,
  upTo: number,
): AsyncGenerator<readonly SweepIndexEntry[]> {
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: table,
        IndexName: index.indexName,
        KeyConditionExpression: '#shard = :shard AND #sort <= :upTo',
        ExpressionAttributeNames: { '#shard': index.partitionKey.name, '#sort': index.sortKey.name },
        ExpressionAttributeValues: { ':shard': shard, ':upTo': upTo },
        Limit: pageSize,
        ExclusiveStartKey: startKey,
      }),
    );
    yield (page.Items ?? []).map((item) => ({
      key: { pk: item.pk as string, sk: item.sk as string },
      sortValue: item[index.sortKey.name] as number,
    }));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
}

/** The primary keys of `sweepIndexEntries`, for a sweeper that reads each item before acting on it. */
export async function* sweepIndexKeys(
  client: DynamoDBDocumentClient,
  table: string,
  index: SweepIndex,
  shard: number,
  upTo: number,
): AsyncGenerator<readonly TableKey[]> {
  for await (const entries of sweepIndexEntries(client, table, index, shard, upTo)) yield entries.map(({ key }) => key);
}

/** Every shard of a sweep index, one after another. */
export async function* acrossShards(keysOf: (shard: number) => AsyncIterable<readonly TableKey[]>): AsyncGenerator<readonly TableKey[]> {
  for (const shard of sweepShards) yield* keysOf(shard);
}
