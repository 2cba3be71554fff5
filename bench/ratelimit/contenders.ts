import { DynamoDB, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { RateLimiterDynamo, RateLimiterRes } from 'rate-limiter-flexible';
import type { BucketPolicy } from '../../lambdas/rate-limit/gcra.js';
import { createRateLimiter } from '../../lambdas/rate-limit/limiter.js';
import { createDocumentClient } from '../../lambdas/shared/dynamodb.js';
import type { AccountId } from '../../lambdas/shared/ids.js';
import { type CallMeter, meterClient } from './meter.js';

export type Verdict = 'admitted' | 'rejected' | 'error';

/** One warm Lambda instance's limiter: its own memory, the shared table. */
export type LimiterInstance = (tenant: string) => Promise<Verdict>;

export interface Store {
  readonly endpoint: string;
  readonly gcraTable: string;
  readonly flexibleTable: string;
}

const clientConfig = (endpoint: string) => ({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  // No SDK retries, so that every round trip the meter counts is one the limiter chose to make.
  maxAttempts: 1,
  // Hundreds of requests in flight at once: queueing for a socket would read as store latency.
  requestHandler: { httpAgent: { keepAlive: true, maxSockets: 512 } },
});

export interface MeteredClients {
  readonly document: DynamoDBDocumentClient;
  /** rate-limiter-flexible calls `updateItem(params)`: it needs the aggregated v3 client. */
  readonly aggregated: DynamoDB;
  readonly gcraMeter: CallMeter;
  readonly flexibleMeter: CallMeter;
  destroy(): void;
}

export const meteredClients = (endpoint: string): MeteredClients => {
  const base = new DynamoDBClient(clientConfig(endpoint));
  const aggregated = new DynamoDB(clientConfig(endpoint));
  const gcraMeter = meterClient(base);
  const flexibleMeter = meterClient(aggregated);
  return {
    document: createDocumentClient(base),
    aggregated,
    gcraMeter,
    flexibleMeter,
    destroy: () => {
      base.destroy();
      aggregated.destroy();
    },
  };
};

export interface GcraSettings {
  readonly policy: BucketPolicy;
  readonly shards?: number;
  readonly overLimitCache?: boolean;
  /** A frozen clock measures "at one instant"; the default is the real clock. */
  readonly now?: () => number;
}

export const gcraInstance = (clients: MeteredClients, store: Store, settings: GcraSettings): LimiterInstance => {
  const limiter = createRateLimiter({
    policy: settings.policy,
    failMode: 'open',
    client: clients.document,
    tableName: store.gcraTable,
    timeoutMs: 60_000,
    ...(settings.shards === undefined ? {} : { shards: settings.shards }),
    ...(settings.overLimitCache === undefined ? {} : { overLimitCache: settings.overLimitCache }),
    ...(settings.now === undefined ? {} : { now: settings.now }),
  });
  return async (tenant) => {
    const decision = await limiter.check(tenant as AccountId);
    return decision.outcome === 'store-unavailable' ? 'error' : decision.outcome;
  };
};

export interface FlexibleSettings {
  readonly points: number;
  readonly durationSeconds: number;
  /** rate-limiter-flexible's own answer to floods: block a key in memory once it is over. */
  readonly inMemoryBlock?: boolean;
}

export const flexibleInstance = (clients: MeteredClients, store: Store, settings: FlexibleSettings): LimiterInstance => {
  const limiter = new RateLimiterDynamo({
    storeClient: clients.aggregated,
    tableName: store.flexibleTable,
    tableCreated: true,
    ttlSet: true,
    points: settings.points,
    duration: settings.durationSeconds,
    // Blocks until the window ends once a key has consumed all its points.
    ...(settings.inMemoryBlock === true ? { inMemoryBlockOnConsumed: settings.points } : {}),
  });
  return async (tenant) => {
    try {
      await limiter.consume(tenant);
      return 'admitted';
    } catch (error) {
      return error instanceof RateLimiterRes ? 'rejected' : 'error';
    }
  };
};
