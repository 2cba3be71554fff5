import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../shared/dynamodb.js';
import { tableName as tableNameFromEnv } from '../shared/env.js';
import type { AccountId } from '../shared/ids.js';
import { bucketMemory, type RememberedBucket } from './bucket-memory.js';
import { bucketKey, type StoredBucket } from './bucket-item.js';
import { BucketStore, StoreUnavailableError, type WriteBranch } from './bucket-store.js';
import type { FailMode } from './config.js';
import {
  type BucketPolicy,
  branchOf,
  microsUntilNextToken,
  remainingTokens,
  timingOf,
  toMicros,
  validatePolicy,
  wholeSecondsCeil,
} from './gcra.js';
import { reportStoreUnavailable } from './telemetry.js';

export type RateLimitDecision =
  | {
      readonly outcome: 'admitted';
      readonly policy: BucketPolicy;
      /** Requests the tenant may still make right now. */
      readonly remaining: number;
      /** Whole seconds until the next token: within them, no more than `remaining` can succeed. */
      readonly effectiveWindowSeconds: number;
    }
  | {
      readonly outcome: 'rejected';
      readonly policy: BucketPolicy;
      readonly retryAfterSeconds: number;
      /** 'memory' when this instance already knew the tenant was over its limit: no DynamoDB call. */
      readonly answeredFrom: 'store' | 'memory';
    }
  | {
      readonly outcome: 'store-unavailable';
      /** The default policy: without the item, a tenant override is unknown. */
      readonly policy: BucketPolicy;
      readonly failMode: FailMode;
    };

export interface RateLimiterOptions {
  /** The limit of every tenant without an override of its own. */
  readonly policy: BucketPolicy;
  readonly failMode: FailMode;
  readonly client?: DynamoDBDocumentClient;
  /** Physical table name; defaults to TABLE_RATE_LIMITS, read on first use. */
  readonly tableName?: string;
  /** Epoch milliseconds. */
  readonly now?: () => number;
  /**
   * Spreads each tenant over this many bucket items, each with 1/N of the rate and ⌈B/N⌉ of the
   * burst, so one tenant can exceed the ~1,000 writes/s a single DynamoDB item takes. The cost
   * in exactness: the burst grows to N·⌈B/N⌉ (at most N − 1 more), and a request that lands on
   * an empty shard is refused while another shard still holds tokens (bench/ratelimit.ts
   * measures both). Headers then report this shard's figures scaled by N.
   */
  readonly shards?: number;
  /** Answer tenants known to be over their limit from memory, without a write. Default true. */
  readonly overLimitCache?: boolean;
  /** How many buckets one instance remembers (branch guesses and over-limit gates). */
  readonly memoryEntries?: number;
  /** Per DynamoDB call; past it the store counts as unavailable. */
  readonly timeoutMs?: number;
}

export interface RateLimiter {
  check(tenant: AccountId): Promise<RateLimitDecision>;
}

/**
 * Each branch's condition is decided by the previous attempt's returned item, and TAT only
 * moves forward, so a request needs at most: a wrong guess, the right branch, and one more if
 * a concurrent writer turned an idle bucket busy in between.
 */
const maxWritesPerRequest = 3;

/** TTL slack past the moment a bucket is full again, for clock skew between instances. */
const expirySlackSeconds = 60;

/**
 * Where running out of writes belongs: with bugs, not with the store. Since TAT only moves
 * forward, maxWritesPerRequest writes always decide; needing more means the bucket went back to
 * idle under this request (an item deleted or rewritten by something other than the limiter and
 * overrides.ts, or an instance's clock behind by more than the TTL slack). DynamoDB answered
 * every write, so the store is not unavailable, and the fail mode (open by default: the request
 * served unlimited, the store blamed) would hide a broken invariant. It propagates: a 500.
 */
class ContentionError extends Error {
  constructor(key: string) {
    super(`Bucket ${key} changed state on each of ${maxWritesPerRequest} conditional writes`);
    this.name = 'RateLimitContentionError';
  }
}

export const createRateLimiter = (options: RateLimiterOptions): RateLimiter => {
  const defaultPolicy = validatePolicy(options.policy);
  const shards = options.shards ?? 1;
  if (!Number.isSafeInteger(shards) || shards < 1) throw new Error(`Rate limit shards must be a positive whole number, got ${shards}`);
  const defaults = timingOf(defaultPolicy, shards);
  const now = options.now ?? Date.now;
  const overLimitCache = options.overLimitCache ?? true;
  const memory = bucketMemory(options.memoryEntries ?? 10_000);
  const explicitTable = options.tableName;
  const store = new BucketStore(
    options.client ?? dynamo(),
    () => explicitTable ?? tableNameFromEnv('rateLimits'),
    options.timeoutMs ?? 1_000,
  );
  // Instances start at different shards so that their round robins do not move in step.
  let nextShard = Math.floor(Math.random() * shards);

  const knownOverLimit = (remembered: RememberedBucket | undefined, nowUs: number): remembered is RememberedBucket =>
    overLimitCache && remembered !== undefined && branchOf(remembered.state, nowUs) === 'over-limit';

  const rejected = (remembered: RememberedBucket, nowUs: number, answeredFrom: 'store' | 'memory'): RateLimitDecision => ({
    outcome: 'rejected',
    policy: remembered.policy,
    retryAfterSeconds: wholeSecondsCeil(remembered.state.gateUs - nowUs),
    answeredFrom,
  });

  const admitted = (remembered: RememberedBucket, nowUs: number): RateLimitDecision => ({
    outcome: 'admitted',
    policy: remembered.policy,
    remaining: Math.min(remembered.policy.burst, remainingTokens(remembered.state, remembered.timing, nowUs) * shards),
    effectiveWindowSeconds: wholeSecondsCeil(microsUntilNextToken(remembered.state, remembered.timing.intervalUs, nowUs)),
  });

  /** Round robin over the shards, skipping any this instance knows to be empty. */
  const pickShard = (tenant: AccountId, nowUs: number): { key: string } | { overLimit: RememberedBucket } => {
    let soonest: RememberedBucket | undefined;
    for (let step = 0; step < shards; step += 1) {
      const shard = (nextShard + step) % shards;
      const key = bucketKey(tenant, shard, shards);
      const remembered = memory.get(key);
      if (!knownOverLimit(remembered, nowUs)) {
        nextShard = (shard + 1) % shards;
        return { key };
      }
      if (soonest === undefined || remembered.state.gateUs < soonest.state.gateUs) soonest = remembered;
    }
    if (soonest === undefined) throw new Error('A tenant has at least one shard');
    return { overLimit: soonest };
  };

  const rememberStored = (key: string, bucket: StoredBucket): RememberedBucket | undefined => {
    if (bucket.state === undefined) return undefined;
    const remembered = {
      state: bucket.state,
      timing: bucket.override?.shardTiming ?? defaults,
      policy: bucket.override?.policy ?? defaultPolicy,
    };
    memory.set(key, remembered);
    return remembered;
  };

  const takeToken = async (key: string, nowUs: number): Promise<RateLimitDecision> => {
    const remembered = memory.get(key);
    // No memory: a new or rarely seen tenant, whose bucket is most likely idle or absent.
    let branch: WriteBranch = remembered === undefined || branchOf(remembered.state, nowUs) === 'idle' ? 'idle' : 'busy';
    const expiresAt = wholeSecondsCeil(nowUs + defaults.capacityUs) + expirySlackSeconds;
    for (let attempt = 0; attempt < maxWritesPerRequest; attempt += 1) {
      const result = await store.write({ key, branch, nowUs, defaults, expiresAt });
      if (result.kind === 'written') {
        const written = rememberStored(key, result.bucket);
        if (written === undefined) throw new Error(`Bucket ${key} has no state after a successful write`);
        return admitted(written, nowUs);
      }
      const current = result.current === undefined ? undefined : rememberStored(key, result.current);
      const actual = branchOf(current?.state, nowUs);
      if (actual === 'over-limit' && current !== undefined) return rejected(current, nowUs, 'store');
      branch = actual === 'idle' ? 'idle' : 'busy';
    }
    throw new ContentionError(key);
  };

  return {
    check: async (tenant) => {
      const nowUs = toMicros(now());
      const choice = pickShard(tenant, nowUs);
      if ('overLimit' in choice) return rejected(choice.overLimit, nowUs, 'memory');
      try {
        return await takeToken(choice.key, nowUs);
      } catch (error) {
        // Only the store failing may answer with the fail mode; a bug must fail the request loudly.
        if (!(error instanceof StoreUnavailableError)) throw error;
        reportStoreUnavailable({ tenant, failMode: options.failMode, error });
        return { outcome: 'store-unavailable', policy: defaultPolicy, failMode: options.failMode };
      }
    },
  };
};
