/**
 * Benchmark (not a test): the GCRA rate limiter of lambdas/rate-limit against
 * rate-limiter-flexible's RateLimiterDynamo, side by side on one DynamoDB Local in one run.
 * DynamoDB Local is far slower than DynamoDB and shares this machine's cores, so absolute
 * times mean little: read the ratios, the call counts and the admitted counts.
 *
 *   npm run bench:ratelimit        (writes bench/results/ratelimit.json)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startDynamoDbLocal } from '../local/dynamodb-local.js';
import { freePort } from '../local/ports.js';
import { tables } from '../lambdas/topology.js';
import { meteredClients, type Store } from './ratelimit/contenders.js';
import { createKeyTable } from './support/dynamodb.js';
import { compare, costTable, exactnessTable, shardingTable, type CostComparison } from './ratelimit/report.js';
import {
  type BenchContext,
  type BoundaryFigures,
  type Contender,
  type CostFigures,
  type ExactnessFigures,
  type ShardingFigures,
  admittedAcrossFleet,
  admittedFromOneInstance,
  concurrencyExactness,
  rejectedFlood,
  shardingCost,
  windowBoundary,
} from './ratelimit/scenarios.js';

export interface RateLimitBenchmarkOptions {
  /** Use this DynamoDB Local instead of starting one (a combined bench run shares one). */
  readonly dynamodbEndpoint?: string;
  /** Where the JSON results go; defaults to bench/results/ratelimit.json. */
  readonly resultsPath?: string;
  readonly log?: (line: string) => void;
}

export interface RateLimitBenchmarkResult {
  readonly generatedAt: string;
  readonly node: string;
  readonly admitted: readonly CostComparison[];
  readonly rejected: readonly CostComparison[];
  readonly rejectedWithoutCache: CostFigures;
  readonly concurrency: readonly ExactnessFigures[];
  readonly windowBoundary: readonly BoundaryFigures[];
  readonly sharding: readonly ShardingFigures[];
}

const defaultResultsPath = resolve(dirname(fileURLToPath(import.meta.url)), 'results/ratelimit.json');

const localClient = (endpoint: string): DynamoDBClient =>
  new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });

/** The GCRA table exactly as the topology declares it, and the table rate-limiter-flexible expects. */
const createTables = async (endpoint: string): Promise<Store> => {
  const run = randomUUID().slice(0, 8);
  const store: Store = { endpoint, gcraTable: `bench-rateLimits-${run}`, flexibleTable: `bench-flexible-${run}` };
  const client = localClient(endpoint);
  try {
    await createKeyTable(client, {
      name: store.gcraTable,
      partitionKey: tables.rateLimits.partitionKey.name,
      ttlAttribute: tables.rateLimits.ttlAttribute,
    });
    await createKeyTable(client, { name: store.flexibleTable, partitionKey: 'key', ttlAttribute: 'expire' });
  } finally {
    client.destroy();
  }
  return store;
};

const defaultPolicy = { ratePerMinute: 100, burst: 100 };

const runScenarios = async (context: BenchContext, log: (line: string) => void): Promise<RateLimitBenchmarkResult> => {
  const warmup: Contender[] = [
    { kind: 'gcra', label: 'warm-up', settings: { policy: defaultPolicy } },
    { kind: 'flexible', label: 'warm-up', settings: { points: 100, durationSeconds: 60 } },
  ];
  await admittedFromOneInstance(context, warmup, 100);

  log('admitted: one warm instance, one busy tenant …');
  // T = 10 ms against ~2 ms between requests: the bucket stays busy, the burst is never reached.
  const [oneGcra, oneFlexible] = await admittedFromOneInstance(
    context,
    [
      { kind: 'gcra', label: 'gcra', settings: { policy: { ratePerMinute: 6_000, burst: 1_000 } } },
      { kind: 'flexible', label: 'rate-limiter-flexible', settings: { points: 1_000, durationSeconds: 60 } },
    ],
    400,
  );
  log('admitted: 8 instances, 50 tenants …');
  const [fleetGcra, fleetFlexible] = await admittedAcrossFleet(
    context,
    [
      { kind: 'gcra', label: 'gcra', settings: { policy: defaultPolicy } },
      { kind: 'flexible', label: 'rate-limiter-flexible', settings: { points: 100, durationSeconds: 60 } },
    ],
    { instances: 8, tenants: 50, requestsPerTenant: 40, concurrency: 16 },
  );

  log('rejected: a flood on a spent bucket …');
  // One token per minute: nothing refills during the flood, so every request is a rejection.
  const floodShape = { capacity: 100, instances: 8, requests: 1_000, concurrency: 16 };
  const [floodGcra, floodGcraUncached, floodFlexible, floodFlexibleBlocking] = await rejectedFlood(
    context,
    [
      { kind: 'gcra', label: 'gcra (over-limit cache)', settings: { policy: { ratePerMinute: 1, burst: 100 } } },
      { kind: 'gcra', label: 'gcra (no over-limit cache)', settings: { policy: { ratePerMinute: 1, burst: 100 }, overLimitCache: false } },
      { kind: 'flexible', label: 'rate-limiter-flexible', settings: { points: 100, durationSeconds: 3_600 } },
      {
        kind: 'flexible',
        label: 'rate-limiter-flexible (inMemoryBlockOnConsumed)',
        settings: { points: 100, durationSeconds: 3_600, inMemoryBlock: true },
      },
    ],
    floodShape,
  );

  log('exactness: 500 concurrent on 100 tokens …');
  const concurrency = await concurrencyExactness(
    context,
    [
      { kind: 'gcra', label: 'gcra', settings: { policy: defaultPolicy } },
      { kind: 'flexible', label: 'rate-limiter-flexible', settings: { points: 100, durationSeconds: 60 } },
    ],
    { capacity: 100, instances: 10, perInstance: 50, trials: 3 },
  );

  log('exactness: across a window boundary …');
  const boundary = await windowBoundary(
    context,
    [
      { kind: 'gcra', label: 'gcra (100 per 3 s, burst 100)', settings: { policy: { ratePerMinute: 2_000, burst: 100 } } },
      { kind: 'flexible', label: 'rate-limiter-flexible (100 per 3 s)', settings: { points: 100, durationSeconds: 3 } },
    ],
    { capacity: 100, windowSeconds: 3, marginMs: 150, instances: 4 },
  );

  log('sharding …');
  const sharding = await shardingCost(context, defaultPolicy, [1, 2, 4, 8], {
    burstInstances: 10,
    burstPerInstance: 50,
    coldInstances: 25,
    trials: 3,
  });

  const need = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('A scenario returned fewer results than contenders');
    return value;
  };
  return {
    generatedAt: new Date().toISOString(),
    node: process.version,
    admitted: [
      compare('one warm instance, one busy tenant (400 sequential)', need(oneGcra), need(oneFlexible)),
      compare('8 instances, 50 tenants × 40 requests, 16 in flight', need(fleetGcra), need(fleetFlexible)),
    ],
    rejected: [
      compare('flood: 1,000 requests on a spent bucket, 8 instances', need(floodGcra), need(floodFlexible)),
      compare('flood, both answering known-over tenants from memory', need(floodGcra), need(floodFlexibleBlocking)),
    ],
    rejectedWithoutCache: need(floodGcraUncached),
    concurrency,
    windowBoundary: boundary,
    sharding,
  };
};

export const runRateLimitBenchmark = async (options: RateLimitBenchmarkOptions = {}): Promise<RateLimitBenchmarkResult> => {
  const log =
    options.log ??
    ((line: string) => {
      console.log(line);
    });
  const dynamodb = options.dynamodbEndpoint === undefined ? await startDynamoDbLocal(await freePort(), undefined) : undefined;
  const endpoint = options.dynamodbEndpoint ?? dynamodb?.endpoint;
  if (endpoint === undefined) throw new Error('No DynamoDB endpoint');
  const clients = meteredClients(endpoint);
  try {
    const store = await createTables(endpoint);
    const result = await runScenarios({ clients, store }, log);
    const resultsPath = options.resultsPath ?? defaultResultsPath;
    mkdirSync(dirname(resultsPath), { recursive: true });
    writeFileSync(resultsPath, `${JSON.stringify(result, null, 2)}\n`);
    for (const line of [
      '',
      ...costTable('Admitted requests (every request under its limit)', result.admitted),
      '',
      ...costTable('Rejected requests', result.rejected, [result.rejectedWithoutCache]),
      '',
      ...exactnessTable(result.concurrency, result.windowBoundary),
      '',
      ...shardingTable(result.sharding),
      '',
      `Results written to ${resultsPath}`,
    ]) {
      log(line);
    }
    return result;
  } finally {
    clients.destroy();
    await dynamodb?.stop();
  }
};

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  await runRateLimitBenchmark();
}
