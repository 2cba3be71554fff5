import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AccountId } from '../shared/ids.js';
import { bucketAttributes as a, bucketKey } from './bucket-item.js';
import { type BucketPolicy, timingOf, validatePolicy } from './gcra.js';

/** 9999-12-31T23:59:59Z: an expiresAt TTL never reaches. */
const neverExpires = 253_402_300_799;

/**
 * After an override is removed the item falls back to the limiter's expiry, rewritten on the
 * tenant's next request; a day covers any TAT the override could have run ahead of now.
 */
const retentionAfterRemovalSeconds = 86_400;

export interface OverrideTarget {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly tenant: AccountId;
  /** Must match the limiter's `shards` option: the override is written to every shard item. */
  readonly shards?: number;
}

const shardKeys = (target: OverrideTarget): string[] => {
  const shards = target.shards ?? 1;
  return Array.from({ length: shards }, (_, shard) => bucketKey(target.tenant, shard, shards));
};

/**
 * Gives one tenant its own limit. The gate is recomputed from the stored TAT in the same write
 * (gate = TAT − τ under the new burst), so every instance applies the new limit on its next
 * write for the tenant, with no cache to expire. An instance that has just refused the tenant
 * keeps refusing it from memory until the Retry-After it announced, at most.
 */
export const setRateLimitOverride = async (target: OverrideTarget, policy: BucketPolicy): Promise<void> => {
  const timing = timingOf(validatePolicy(policy), target.shards ?? 1);
  for (const key of shardKeys(target)) {
    await target.client.send(
      new UpdateCommand({
        TableName: target.tableName,
        Key: { pk: key },
        UpdateExpression:
          `SET ${a.ratePerMinute} = :rate, ${a.burst} = :burst, ${a.interval} = :interval, ${a.gateOffset} = :gateOffset, ` +
          `${a.pinnedExpiresAt} = :never, ${a.expiresAt} = :never, ${a.gate} = if_not_exists(${a.tat}, :zero) - :tolerance`,
        ExpressionAttributeValues: {
          ':rate': policy.ratePerMinute,
          ':burst': policy.burst,
          ':interval': timing.intervalUs,
          ':gateOffset': timing.gateOffsetUs,
          ':never': neverExpires,
          ':zero': 0,
          ':tolerance': timing.toleranceUs,
        },
      }),
    );
  }
};

/** Returns a tenant to the default limit (the one the limiter is configured with). */
export const removeRateLimitOverride = async (
  target: OverrideTarget,
  defaultPolicy: BucketPolicy,
  nowMs: number = Date.now(),
): Promise<void> => {
  const timing = timingOf(validatePolicy(defaultPolicy), target.shards ?? 1);
  for (const key of shardKeys(target)) {
    await target.client.send(
      new UpdateCommand({
        TableName: target.tableName,
        Key: { pk: key },
        UpdateExpression:
          `REMOVE ${a.ratePerMinute}, ${a.burst}, ${a.interval}, ${a.gateOffset}, ${a.pinnedExpiresAt} ` +
          `SET ${a.gate} = if_not_exists(${a.tat}, :zero) - :tolerance, ${a.expiresAt} = :expiresAt`,
        ExpressionAttributeValues: {
          ':zero': 0,
          ':tolerance': timing.toleranceUs,
          ':expiresAt': Math.ceil(nowMs / 1000) + retentionAfterRemovalSeconds,
        },
      }),
    );
  }
};
