/**
 * Benchmark (not a test): POST /v1/charges through the whole charges function in-process —
 * authentication, rate limiting (when api-route wires it), idempotency, the key guard, the
 * sandbox processor behind its function URL, and the atomic commit — on DynamoDB Local. It
 * counts DynamoDB round trips and capacity per request by what they are for.
 *
 *   npm run bench:charge-path        (writes bench/results/charge-path.json)
 */
import { randomUUID } from 'node:crypto';
import { completedKeysCached } from '../lambdas/shared/idempotency-engine.js';
import { costPerRequest, type CallRecord } from './support/call-meter.js';
import { startChargeStack, type ChargeStack } from './support/charge-stack.js';
import { chargePathTable } from './support/charge-path-report.js';
import type { ChargePath, ChargePathBenchmarkResult, ChargePathFigures } from './support/charge-path-results.js';
import { dynamoDbTarget } from './support/dynamodb.js';
import { Gate } from './support/gate.js';
import { LatencySamples } from './support/latency.js';
import { machineInfo } from './support/machine.js';
import { isEntryPoint } from './support/entry-point.js';
import { resultsFile, writeJsonFile } from './support/results.js';

export interface ChargePathBenchmarkOptions {
  /** Use this DynamoDB Local instead of starting one (a combined run shares one). */
  readonly dynamodbEndpoint?: string;
  /** Requests per path in each load pattern (sequential, then concurrent). */
  readonly requests?: number;
  readonly concurrency?: number;
  readonly resultsPath?: string;
  readonly log?: (line: string) => void;
}

const descriptions: Record<ChargePath, string> = {
  first: 'first execution (new key)',
  replay: 'replay (completed key)',
  collision: 'in-progress collision',
};

const expectedStatus: Record<ChargePath, number> = { first: 201, replay: 201, collision: 409 };

const notes = [
  'Calls are attributed by the table they name: auth = apiKeys (cached per warm instance after the first look-up, so absent here), rate limit = rateLimits, idempotency = the idempotency table, business = payments, ledger and events; "business & idempotency" is the one TransactWriteItems that commits the charge, its ledger entries, balance, outbox event and key guard together with the COMPLETED record.',
  'A first execution also reads the permanent key guard (payments table) before calling the processor, for retries that arrive after the 24-hour idempotency record expired.',
  'The claim is the recovery point: it carries the validated request and the downstream key, so a charge the client never finishes can be finished by the completer, at no extra round trip. It is paid for in capacity instead: a larger claim item, and its entry in the sparse recovery index, written by the claim and removed by the commit.',
  'The rate limit is set far above the load, so the figures are for admitted requests. Its one conditional write picks the bucket’s branch from what this instance last saw; with 16 requests of one tenant in flight that is sometimes stale and the write is repeated, hence slightly more than 1 rate-limit call per request (exactly 1 when requests are sequential).',
  `A replay reaches the instance that completed its key, which answers it from the idempotency engine's cache of completed keys (${completedKeysCached}, as deployed): no idempotency call, only the rate limit's. A replay on an instance that has not seen its key makes one call more: the claim that finds the COMPLETED record.`,
  'The sandbox processor runs in the same process but is a separate service in the deployed stack: its calls are listed apart and not included in the API figures.',
  'Capacity: "billed est." adds what no response reports — a failed conditional write is billed (at least 1 WCU) and a transactional write costs 2 WCU per item (DynamoDB Local reports less). A floor for items under 1 KB.',
];

const isProcessorCall = (call: CallRecord): boolean => call.category === 'processor';

interface Tally {
  readonly calls: CallRecord[];
  readonly statuses: Record<string, number>;
  readonly sequential: LatencySamples;
  readonly concurrent: LatencySamples;
}

const sendAndCount = (stack: ChargeStack, tally: Tally, keyAt: (index: number) => string) => async (index: number) => {
  const response = await stack.charge(keyAt(index));
  tally.statuses[response.statusCode] = (tally.statuses[response.statusCode] ?? 0) + 1;
};

/** Charges whose keys stay claimed (held just before the processor) until the returned release. */
const parkFirstExecutions = async (stack: ChargeStack, keys: readonly string[]): Promise<() => Promise<void>> => {
  const gate = new Gate();
  stack.holdBeforeProcessor(gate);
  const firsts = keys.map((key) => stack.charge(key));
  await gate.reached(keys.length);
  return async () => {
    stack.holdBeforeProcessor(undefined);
    gate.open();
    const responses = await Promise.all(firsts);
    const failed = responses.filter((response) => response.statusCode !== 201);
    if (failed.length > 0)
      throw new Error(`${failed.length} parked charges ended with ${failed[0]?.statusCode ?? '?'}: ${failed[0]?.body ?? ''}`);
  };
};

const newTally = (): Tally => ({ calls: [], statuses: {}, sequential: new LatencySamples(), concurrent: new LatencySamples() });

interface Load {
  readonly requests: number;
  readonly concurrency: number;
}

/** One path, sequential then concurrent, metering only the measured requests. */
const measurePath = async (
  stack: ChargeStack,
  path: ChargePath,
  keyFor: (label: string) => (index: number) => string,
  load: Load,
): Promise<ChargePathFigures> => {
  const tally = newTally();
  for (const pattern of ['sequential', 'concurrent'] as const) {
    // A replay repeats the keys the first executions completed.
    const keys = keyFor(`${path === 'replay' ? 'first' : path}-${pattern}`);
    const release =
      path === 'collision'
        ? await parkFirstExecutions(
            stack,
            Array.from({ length: load.requests }, (_, index) => keys(index)),
          )
        : undefined;
    stack.meter.take();
    const send = sendAndCount(stack, tally, keys);
    if (pattern === 'sequential') await tally.sequential.sendSequentially(load.requests, send);
    else await tally.concurrent.sendConcurrently(load.requests, load.concurrency, send);
    tally.calls.push(...stack.meter.take());
    await release?.();
    stack.meter.take();
  }
  if (Object.keys(tally.statuses).some((status) => Number(status) !== expectedStatus[path])) {
    throw new Error(`Charge path, ${descriptions[path]}: expected ${expectedStatus[path]}, got ${JSON.stringify(tally.statuses)}`);
  }
  const measured = 2 * load.requests;
  return {
    path,
    description: descriptions[path],
    api: costPerRequest(
      tally.calls.filter((call) => !isProcessorCall(call)),
      measured,
    ),
    processor: costPerRequest(tally.calls.filter(isProcessorCall), measured),
    sequential: tally.sequential.figures(),
    concurrent: tally.concurrent.figures(),
    statuses: tally.statuses,
  };
};

export const runChargePathBenchmark = async (options: ChargePathBenchmarkOptions = {}): Promise<ChargePathBenchmarkResult> => {
  const log =
    options.log ??
    ((line: string) => {
      console.log(line);
    });
  const load: Load = { requests: options.requests ?? 200, concurrency: options.concurrency ?? 16 };
  const warmupRequests = 30;
  const run = randomUUID().slice(0, 8);
  const keyFor = (label: string) => (index: number) => `${run}-${label}-${index}`;
  const target = await dynamoDbTarget(options.dynamodbEndpoint);
  let stack: ChargeStack | undefined;
  try {
    stack = await startChargeStack(target.endpoint);

    log(`charge path: warming up (${warmupRequests} charges and replays) …`);
    const warm = newTally();
    const send = sendAndCount(stack, warm, keyFor('warmup'));
    await warm.sequential.sendSequentially(warmupRequests, send);
    await warm.sequential.sendSequentially(warmupRequests, send);
    if (warm.statuses[201] !== 2 * warmupRequests) throw new Error(`Warm-up charges answered ${JSON.stringify(warm.statuses)}`);

    const paths: ChargePathFigures[] = [];
    for (const path of ['first', 'replay', 'collision'] as const) {
      log(`charge path: ${descriptions[path]} — ${load.requests} sequential + ${load.requests} at ${load.concurrency} in flight …`);
      paths.push(await measurePath(stack, path, keyFor, load));
    }

    const result: ChargePathBenchmarkResult = {
      benchmark: 'charge-path',
      generatedAt: new Date().toISOString(),
      machine: machineInfo(),
      parameters: { requestsPerPattern: load.requests, concurrency: load.concurrency, warmupRequests },
      paths,
      notes,
    };
    const resultsPath = options.resultsPath ?? resultsFile('charge-path.json');
    writeJsonFile(resultsPath, result);
    for (const line of ['', ...chargePathTable(result), '', `Results written to ${resultsPath}`]) log(line);
    return result;
  } finally {
    await stack?.stop();
    await target.release();
  }
};

if (isEntryPoint(import.meta.url)) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  await runChargePathBenchmark();
}
