import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { type BucketPolicy, type BucketState, type BucketTiming } from './gcra.js';

/**
 * The rateLimits table holds one item per bucket (per shard when a tenant is sharded):
 *
 *   pk               "bucket#<tenant>" or "bucket#<tenant>#<shard>"
 *   tatUs, gateUs    GCRA state in epoch microseconds (see gcra.ts)
 *   expiresAt        epoch seconds after which the bucket is full again: TTL deletes idle buckets
 *
 * A per-tenant override lives on the same item, so the one UpdateItem that takes a token also
 * applies the override and returns it (ReturnValues / ReturnValuesOnConditionCheckFailure):
 * reading an override costs no extra round trip and no cache that could go stale.
 *
 *   ratePerMinute, burst        the tenant's limit, as reported in RateLimit-Policy
 *   intervalUs, gateOffsetUs    that limit as this shard's T and G, which the writes use in
 *                               place of the defaults through if_not_exists
 *   pinnedExpiresAt             what expiresAt is set to instead of the idle-bucket expiry, so
 *                               TTL never reclaims an item that carries an override
 */
export const bucketAttributes = {
  tat: 'tatUs',
  gate: 'gateUs',
  expiresAt: 'expiresAt',
  ratePerMinute: 'ratePerMinute',
  burst: 'burst',
  interval: 'intervalUs',
  gateOffset: 'gateOffsetUs',
  pinnedExpiresAt: 'pinnedExpiresAt',
} as const;

export const bucketKey = (tenant: string, shard: number, shards: number): string =>
  shards === 1 ? `bucket#${tenant}` : `bucket#${tenant}#${shard}`;

/** A tenant's own limit, and what it means for one shard's conditional writes. */
export interface BucketOverride {
  readonly policy: BucketPolicy;
  readonly shardTiming: BucketTiming;
}

export interface StoredBucket {
  /** Absent on an item that so far holds only an override. */
  readonly state: BucketState | undefined;
  readonly override: BucketOverride | undefined;
}

type NumberReader = (attribute: string) => number | undefined;

const overrideOf = (read: NumberReader): BucketOverride | undefined => {
  const ratePerMinute = read(bucketAttributes.ratePerMinute);
  const burst = read(bucketAttributes.burst);
  const intervalUs = read(bucketAttributes.interval);
  const gateOffsetUs = read(bucketAttributes.gateOffset);
  if (ratePerMinute === undefined || burst === undefined || intervalUs === undefined || gateOffsetUs === undefined) return undefined;
  const toleranceUs = intervalUs - gateOffsetUs;
  const shardBurst = toleranceUs / intervalUs + 1;
  return {
    policy: { ratePerMinute, burst },
    shardTiming: { burst: shardBurst, intervalUs, toleranceUs, gateOffsetUs, capacityUs: shardBurst * intervalUs },
  };
};

const bucketOf = (read: NumberReader): StoredBucket | undefined => {
  const tatUs = read(bucketAttributes.tat);
  const gateUs = read(bucketAttributes.gate);
  const override = overrideOf(read);
  const state = tatUs === undefined || gateUs === undefined ? undefined : { tatUs, gateUs };
  return state === undefined && override === undefined ? undefined : { state, override };
};

/** An item as the document client returns it (numbers already numbers). */
export const bucketFromDocument = (item: Record<string, unknown> | undefined): StoredBucket | undefined =>
  item === undefined
    ? undefined
    : bucketOf((attribute) => {
        const value = item[attribute];
        return typeof value === 'number' ? value : undefined;
      });

/**
 * An item as a ConditionalCheckFailedException carries it: the document client does not
 * unmarshall errors, so the few numbers needed are read from the wire shape.
 */
export const bucketFromWire = (item: Record<string, AttributeValue> | undefined): StoredBucket | undefined =>
  item === undefined
    ? undefined
    : bucketOf((attribute) => {
        const value = item[attribute];
        return value?.N === undefined ? undefined : Number(value.N);
      });
