import { createHash } from 'node:crypto';

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

/** The primary key of an item in a table the sweeper reads (both use pk and sk). */
export interface TableKey {
  readonly pk: string;
  readonly sk: string;
}
