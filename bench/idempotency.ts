/**
 * Benchmark (not a test), issue 3: the same trivial handler behind Retrysafe's idempotency()
 * and behind @aws-lambda-powertools/idempotency's makeHandlerIdempotent, on one DynamoDB Local
 * in one run. DynamoDB Local is much slower than DynamoDB and shares this machine's cores, so
 * absolute times mean little: read the call counts and the ratios.
 *
 *   npm run bench:idempotency        (writes bench/results/idempotency.json)
 */
import { randomUUID } from 'node:crypto';
import { completedKeysCached } from '../lambdas/shared/idempotency-engine.js';
import { tables as topologyTables } from '../lambdas/topology.js';
import { costPerRequest, type CallRecord, type CostPerRequest } from './support/call-meter.js';
import { createKeyTable, dynamoDbTarget, localDynamoDbClient } from './support/dynamodb.js';
import { Gate } from './support/gate.js';
import {
  powertoolsContender,
  retrysafeContender,
  type Contender,
  type ContenderCache,
  type ContenderTables,
  type Invoke,
} from './support/idempotency-contenders.js';
import { idempotencyTable } from './support/idempotency-report.js';
import { restApiEvent } from '../local/proxy-events.js';
import type { IdempotencyBenchmarkResult, IdempotencyPath, PathComparison, PathFigures } from './support/idempotency-results.js';
import { LatencySamples } from './support/latency.js';
import { machineInfo } from './support/machine.js';
import { isEntryPoint } from './support/entry-point.js';
import { ratio } from './support/ratio.js';
import { resultsFile, writeJsonFile } from './support/results.js';

export interface IdempotencyBenchmarkOptions {
  /** Use this DynamoDB Local instead of starting one (a combined run shares one). */
  readonly dynamodbEndpoint?: string;
  /** Requests per path, per library, in each load pattern (sequential, then concurrent). */
  readonly requests?: number;
  /** Requests in flight in the concurrent pattern. */
  readonly concurrency?: number;
  readonly resultsPath?: string;
  readonly log?: (line: string) => void;
}

const reportedUnits = (cost: CostPerRequest): number => cost.reportedReadUnits + cost.reportedWriteUnits;

const descriptions: Record<IdempotencyPath, string> = {
  first: 'first request (new key)',
  replay: 'replay (completed key)',
  warmReplay: 'replay (completed key, warm cache)',
  collision: 'in-progress collision',
  atomicCommit: 'first request + 1 business write',
};

const expectedStatus: Record<IdempotencyPath, number> = { first: 201, replay: 201, warmReplay: 201, collision: 409, atomicCommit: 201 };

const notes = [
  'Both libraries run the same handler on the same DynamoDB Local, in one process, interleaved request by request (sequential) or in alternating blocks A B B A (concurrent), so drift in DynamoDB Local affects both alike.',
  'Equivalent configurations: key = the Idempotency-Key header (required); fingerprint/validation over method, route template, path parameters and the parsed, key-sorted body; SHA-256; 24-hour records; no scope (Powertools has none); no local cache, except in the warm-cache row.',
  'Capacity: "reported" is what DynamoDB Local returned through ReturnConsumedCapacity. "billed est." adds what no response reports: a failed conditional write is billed (at least 1 WCU), and a transactional write costs 2 WCU per item (DynamoDB Local reports less). It is a floor for items under 1 KB.',
  'Powertools answers a collision with PutItem + DeleteItem: its Middy onError deletes the record of the request it collided with (the defect issue 3 names), so the original executor’s lock is gone while it still runs.',
  `The warm-cache row: both libraries keep COMPLETED records in memory per container — Retrysafe's engine with cacheEntries ${completedKeysCached} (as the deployed functions), Powertools with useLocalCache and maxLocalCacheSize ${completedKeysCached} — and each key was completed by that same container (unmeasured) before its replays were measured. Retrysafe must answer them without a DynamoDB call, or the benchmark fails.`,
  'The atomic-commit row: Retrysafe commits the business write and the COMPLETED record in one TransactWriteItems; Powertools cannot, so its handler writes on its own and Powertools completes afterwards (3 calls, and no atomicity).',
];

interface Subject {
  readonly contender: Contender;
  readonly send: (index: number) => Promise<void>;
  readonly samples: LatencySamples;
}

interface Tally {
  readonly calls: CallRecord[];
  readonly statuses: Record<string, number>;
  handlerRuns: number;
  readonly sequential: LatencySamples;
  readonly concurrent: LatencySamples;
}

const newTally = (): Tally => ({
  calls: [],
  statuses: {},
  handlerRuns: 0,
  sequential: new LatencySamples(),
  concurrent: new LatencySamples(),
});

/** The one request every path sends, under `key`. */
const thingRequest = (key: string) =>
  restApiEvent({
    resource: '/v1/things',
    headers: { 'Idempotency-Key': key },
    body: { amount: 1000, currency: 'usd', description: 'bench' },
  });

const sendAndCount = (tally: Tally, invoke: Invoke, keyAt: (index: number) => string) => async (index: number) => {
  const response = await invoke(thingRequest(keyAt(index)));
  tally.statuses[response.statusCode] = (tally.statuses[response.statusCode] ?? 0) + 1;
};

/** One request per subject per index, alternating which goes first, so neither always follows the other. */
const interleavedSequential = async (subjects: readonly Subject[], count: number): Promise<void> => {
  for (let index = 0; index < count; index++) {
    const order = index % 2 === 0 ? subjects : [...subjects].reverse();
    for (const subject of order) await subject.samples.sendOne(() => subject.send(index));
  }
};

/** Blocks A B B A: each subject runs half its requests early and half late in the phase. */
const alternatingConcurrent = async (subjects: readonly Subject[], count: number, concurrency: number): Promise<void> => {
  const half = Math.ceil(count / 2);
  const blocks = [
    ...subjects.map((subject) => ({ subject, from: 0, to: half })),
    ...[...subjects].reverse().map((subject) => ({ subject, from: half, to: count })),
  ];
  for (const { subject, from, to } of blocks)
    await subject.samples.sendConcurrently(to - from, concurrency, (index) => subject.send(from + index));
};

/** Claims `keys` with handlers that stay inside their execution until the returned release. */
const parkFirstRequests = async (contender: Contender, keys: readonly string[]): Promise<() => Promise<void>> => {
  const gate = new Gate();
  const holder = contender.trivial(() => gate.hold());
  const firsts = keys.map((key) => holder(thingRequest(key)));
  await gate.reached(keys.length);
  return async () => {
    gate.open();
    const responses = await Promise.all(firsts);
    const failed = responses.filter((response) => response.statusCode !== 201);
    if (failed.length > 0)
      throw new Error(`${contender.label}: ${failed.length} parked first requests ended with ${failed[0]?.statusCode ?? '?'}`);
  };
};

/**
 * Completes the keys through `invoke`, unmeasured, so that their replays can be answered from
 * the memory of the container that completed them. Each handler runs once here, so a measured
 * replay that runs it again shows in the handler count.
 */
const completeFirstRequests = async (contender: Contender, invoke: Invoke, keyAt: (index: number) => string, load: Load): Promise<void> => {
  const runsBefore = contender.handlerRuns();
  const responses = await new LatencySamples().sendConcurrently(load.requests, load.concurrency, (index) =>
    invoke(thingRequest(keyAt(index))),
  );
  const failed = responses.filter((response) => response.statusCode !== 201);
  if (failed.length > 0)
    throw new Error(`${contender.label}: ${failed.length} first requests to be replayed ended with ${failed[0]?.statusCode ?? '?'}`);
  const runs = contender.handlerRuns() - runsBefore;
  if (runs !== load.requests) throw new Error(`${contender.label}: ${load.requests} first requests ran the handler ${runs} times`);
};

/** Both libraries as one row compares them: both with their cache of completed records off, or both with it on. */
interface Pair {
  readonly retrysafe: Contender;
  readonly powertools: Contender;
}

interface PathPlan {
  readonly path: IdempotencyPath;
  readonly pair: Pair;
  readonly invoke: (contender: Contender) => Invoke;
  readonly keys: (contender: Contender, pattern: 'sequential' | 'concurrent') => (index: number) => string;
  /** Collisions need a claim in progress on every key before the measured requests. */
  readonly parked?: boolean;
  /** Replays from memory need their keys completed by the same container first. */
  readonly completedFirst?: boolean;
}

interface Load {
  readonly requests: number;
  readonly concurrency: number;
}

const createTables = async (endpoint: string, run: string): Promise<ContenderTables> => {
  const tables: ContenderTables = {
    retrysafe: `bench-idempotency-retrysafe-${run}`,
    powertools: `bench-idempotency-powertools-${run}`,
    business: `bench-business-${run}`,
  };
  const admin = localDynamoDbClient(endpoint);
  try {
    await createKeyTable(admin, {
      name: tables.retrysafe,
      partitionKey: topologyTables.idempotency.partitionKey.name,
      ttlAttribute: topologyTables.idempotency.ttlAttribute,
    });
    // Powertools' DynamoDBPersistenceLayer defaults: partition key `id`, TTL attribute `expiration`.
    await createKeyTable(admin, { name: tables.powertools, partitionKey: 'id', ttlAttribute: 'expiration' });
    await createKeyTable(admin, { name: tables.business, partitionKey: 'pk' });
  } finally {
    admin.destroy();
  }
  return tables;
};

/** Checks the path did what it is named for, then reduces its tally to figures. */
const pathFigures = (plan: PathPlan, contender: Contender, tally: Tally, load: Load): PathFigures => {
  const measured = 2 * load.requests;
  const description = `${contender.label}, ${descriptions[plan.path]}`;
  if (Object.keys(tally.statuses).some((status) => Number(status) !== expectedStatus[plan.path])) {
    throw new Error(`${description}: expected ${expectedStatus[plan.path]}, got ${JSON.stringify(tally.statuses)}`);
  }
  const expectedRuns = plan.path === 'first' || plan.path === 'atomicCommit' ? measured : 0;
  if (tally.handlerRuns !== expectedRuns)
    throw new Error(`${description}: the handler ran ${tally.handlerRuns} times, expected ${expectedRuns}`);
  // What the cache is for: a warm replay costs no round trip at all.
  if (plan.path === 'warmReplay' && contender.id === 'retrysafe' && tally.calls.length > 0)
    throw new Error(`${description}: ${tally.calls.length} DynamoDB calls, expected none`);
  return {
    cost: costPerRequest(tally.calls, measured),
    sequential: tally.sequential.figures(),
    concurrent: tally.concurrent.figures(),
    statuses: tally.statuses,
    handlerRuns: tally.handlerRuns,
  };
};

/** Both libraries through one path: sequential, then concurrent, metering only the measured requests. */
const measurePath = async (plan: PathPlan, load: Load): Promise<readonly Tally[]> => {
  const contenders = [plan.pair.retrysafe, plan.pair.powertools];
  const lanes = contenders.map((contender) => ({ contender, tally: newTally() }));
  for (const pattern of ['sequential', 'concurrent'] as const) {
    const keysOf = (contender: Contender) => Array.from({ length: load.requests }, (_, index) => plan.keys(contender, pattern)(index));
    if (plan.completedFirst === true) {
      await Promise.all(
        contenders.map((contender) => completeFirstRequests(contender, plan.invoke(contender), plan.keys(contender, pattern), load)),
      );
    }
    const releases =
      plan.parked === true ? await Promise.all(contenders.map((contender) => parkFirstRequests(contender, keysOf(contender)))) : [];
    const runsBefore = lanes.map(({ contender }) => contender.handlerRuns());
    for (const { contender } of lanes) contender.meter.take();
    const subjects = lanes.map(({ contender, tally }) => ({
      contender,
      send: sendAndCount(tally, plan.invoke(contender), plan.keys(contender, pattern)),
      samples: tally[pattern],
    }));
    if (pattern === 'sequential') await interleavedSequential(subjects, load.requests);
    else await alternatingConcurrent(subjects, load.requests, load.concurrency);
    lanes.forEach(({ contender, tally }, index) => {
      tally.calls.push(...contender.meter.take());
      tally.handlerRuns += contender.handlerRuns() - (runsBefore[index] ?? 0);
    });
    for (const release of releases) await release();
    for (const { contender } of lanes) contender.meter.take();
  }
  return lanes.map(({ tally }) => tally);
};

const compare = (path: IdempotencyPath, retrysafe: PathFigures, powertools: PathFigures): PathComparison => ({
  path,
  description: descriptions[path],
  retrysafe,
  powertools,
  ratios: {
    calls: ratio(retrysafe.cost.calls, powertools.cost.calls),
    reportedUnits: ratio(reportedUnits(retrysafe.cost), reportedUnits(powertools.cost)),
    billedUnits: ratio(retrysafe.cost.billedUnitsEstimate, powertools.cost.billedUnitsEstimate),
    sequentialP50: ratio(retrysafe.sequential.p50Ms, powertools.sequential.p50Ms),
    sequentialP99: ratio(retrysafe.sequential.p99Ms, powertools.sequential.p99Ms),
    concurrentP50: ratio(retrysafe.concurrent.p50Ms, powertools.concurrent.p50Ms),
    concurrentP99: ratio(retrysafe.concurrent.p99Ms, powertools.concurrent.p99Ms),
    concurrentThroughput: ratio(retrysafe.concurrent.throughputPerSecond, powertools.concurrent.throughputPerSecond),
  },
});

export const runIdempotencyBenchmark = async (options: IdempotencyBenchmarkOptions = {}): Promise<IdempotencyBenchmarkResult> => {
  const log =
    options.log ??
    ((line: string) => {
      console.log(line);
    });
  const load: Load = { requests: options.requests ?? 300, concurrency: options.concurrency ?? 16 };
  const warmupRequests = 50;
  const run = randomUUID().slice(0, 8);
  const target = await dynamoDbTarget(options.dynamodbEndpoint);
  const contenders: Contender[] = [];
  try {
    const tables = await createTables(target.endpoint, run);
    const pair = (cache: ContenderCache): Pair => {
      const retrysafe = retrysafeContender(target.endpoint, tables, cache);
      contenders.push(retrysafe);
      const powertools = powertoolsContender(target.endpoint, tables, cache);
      contenders.push(powertools);
      return { retrysafe, powertools };
    };
    const cachesOff = pair({});
    const warmCaches = pair({ completedEntries: completedKeysCached });

    const key = (contender: Contender, label: string) => (index: number) => `${run}-${contender.id}-${label}-${index}`;
    log(`idempotency: warming up (${warmupRequests} first requests and replays per library, caches off and on) …`);
    for (const [label, { retrysafe, powertools }] of [
      ['caches-off', cachesOff],
      ['warm-caches', warmCaches],
    ] as const) {
      for (const contender of [retrysafe, powertools]) {
        const warm = newTally();
        const send = sendAndCount(warm, contender.trivial(), key(contender, `warmup-${label}`));
        await warm.sequential.sendSequentially(warmupRequests, send);
        await warm.sequential.sendSequentially(warmupRequests, send);
        contender.meter.take();
      }
    }

    const trivial = (c: Contender) => c.trivial();
    const plans: PathPlan[] = [
      { path: 'first', pair: cachesOff, invoke: trivial, keys: (c, pattern) => key(c, `first-${pattern}`) },
      { path: 'replay', pair: cachesOff, invoke: trivial, keys: (c, pattern) => key(c, `first-${pattern}`) },
      {
        path: 'warmReplay',
        pair: warmCaches,
        invoke: trivial,
        keys: (c, pattern) => key(c, `warm-${pattern}`),
        completedFirst: true,
      },
      { path: 'collision', pair: cachesOff, invoke: trivial, keys: (c, pattern) => key(c, `collision-${pattern}`), parked: true },
      { path: 'atomicCommit', pair: cachesOff, invoke: (c) => c.committing(), keys: (c, pattern) => key(c, `commit-${pattern}`) },
    ];
    const paths: PathComparison[] = [];
    for (const plan of plans) {
      log(
        `idempotency: ${descriptions[plan.path]} — ${load.requests} sequential + ${load.requests} at ${load.concurrency} in flight, per library …`,
      );
      const { retrysafe, powertools } = plan.pair;
      const [retrysafeTally, powertoolsTally] = await measurePath(plan, load);
      if (retrysafeTally === undefined || powertoolsTally === undefined) throw new Error('A tally per contender expected');
      paths.push(
        compare(plan.path, pathFigures(plan, retrysafe, retrysafeTally, load), pathFigures(plan, powertools, powertoolsTally, load)),
      );
    }

    const result: IdempotencyBenchmarkResult = {
      benchmark: 'idempotency',
      generatedAt: new Date().toISOString(),
      machine: machineInfo(),
      parameters: { requestsPerPattern: load.requests, concurrency: load.concurrency, warmupRequests },
      paths,
      notes,
    };
    const resultsPath = options.resultsPath ?? resultsFile('idempotency.json');
    writeJsonFile(resultsPath, result);
    for (const line of ['', ...idempotencyTable(result), '', `Results written to ${resultsPath}`]) log(line);
    return result;
  } finally {
    for (const contender of contenders) contender.destroy();
    await target.release();
  }
};

if (isEntryPoint(import.meta.url)) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  await runIdempotencyBenchmark();
}
