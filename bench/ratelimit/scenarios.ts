import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { BucketPolicy } from '../../lambdas/rate-limit/gcra.js';
import {
  type FlexibleSettings,
  type GcraSettings,
  type LimiterInstance,
  type MeteredClients,
  type Store,
  flexibleInstance,
  gcraInstance,
} from './contenders.js';
import { type LoadResult, percentile, runLoad, sleepUntil } from './load.js';
import type { CallMeter, MeterReading } from './meter.js';

export interface BenchContext {
  readonly clients: MeteredClients;
  readonly store: Store;
}

export type Contender =
  | { readonly kind: 'gcra'; readonly label: string; readonly settings: GcraSettings }
  | { readonly kind: 'flexible'; readonly label: string; readonly settings: FlexibleSettings };

const instanceOf = (context: BenchContext, contender: Contender): LimiterInstance =>
  contender.kind === 'gcra'
    ? gcraInstance(context.clients, context.store, contender.settings)
    : flexibleInstance(context.clients, context.store, contender.settings);

const meterOf = (context: BenchContext, contender: Contender): CallMeter =>
  contender.kind === 'gcra' ? context.clients.gcraMeter : context.clients.flexibleMeter;

const fleet = (context: BenchContext, contender: Contender, size: number): LimiterInstance[] =>
  Array.from({ length: size }, () => instanceOf(context, contender));

const at = <T>(items: readonly T[], index: number): T => {
  const item = items[index % items.length];
  if (item === undefined) throw new Error('Cannot pick from an empty list');
  return item;
};

const pick = <T>(items: readonly T[]): T => at(items, Math.floor(Math.random() * items.length));

const freshTenant = (): string => `bench_${randomUUID()}`;

/** A clock stopped at the real time: "all at one instant" without tripping DynamoDB Local's TTL. */
const frozenNow = (): (() => number) => {
  const frozen = Date.now();
  return () => frozen;
};

export interface CostFigures {
  readonly label: string;
  readonly requests: number;
  readonly admitted: number;
  readonly rejected: number;
  readonly errors: number;
  readonly callsPerRequest: number;
  /** Reported capacity plus one write unit per failed conditional write (billed, not reported). */
  readonly capacityUnitsPerRequest: number;
  /** The part DynamoDB Local reported through ReturnConsumedCapacity. */
  readonly reportedCapacityUnitsPerRequest: number;
  readonly conditionalFailuresPerRequest: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly throughputPerSecond: number;
}

const costFigures = (label: string, load: LoadResult, meter: MeterReading): CostFigures => ({
  label,
  requests: load.requests,
  admitted: load.admitted,
  rejected: load.rejected,
  errors: load.errors,
  callsPerRequest: meter.calls / load.requests,
  capacityUnitsPerRequest: (meter.reportedCapacityUnits + meter.estimatedFailedWriteUnits) / load.requests,
  reportedCapacityUnitsPerRequest: meter.reportedCapacityUnits / load.requests,
  conditionalFailuresPerRequest: meter.conditionalFailures / load.requests,
  p50Ms: percentile(load.latenciesMs, 50),
  p99Ms: percentile(load.latenciesMs, 99),
  throughputPerSecond: (load.requests / load.elapsedMs) * 1000,
});

const measured = async (context: BenchContext, contender: Contender, run: () => Promise<LoadResult>): Promise<CostFigures> => {
  const meter = meterOf(context, contender);
  meter.reset();
  const load = await run();
  return costFigures(contender.label, load, meter.read());
};

// ---------------------------------------------------------------------------------------------
// Exactness under concurrency: N requests at once on a C-token bucket.

export interface ExactnessFigures {
  readonly label: string;
  readonly capacity: number;
  readonly requests: number;
  readonly admittedPerTrial: readonly number[];
  /** Most admitted beyond the configured capacity in any trial. */
  readonly maxOverAdmitted: number;
}

export const concurrencyExactness = async (
  context: BenchContext,
  contenders: readonly Contender[],
  shape: { capacity: number; instances: number; perInstance: number; trials: number },
): Promise<ExactnessFigures[]> => {
  const results: ExactnessFigures[] = [];
  for (const contender of contenders) {
    const admittedPerTrial: number[] = [];
    for (let trial = 0; trial < shape.trials; trial += 1) {
      const frozen = contender.kind === 'gcra' ? { ...contender, settings: { ...contender.settings, now: frozenNow() } } : contender;
      const tenant = freshTenant();
      const instances = fleet(context, frozen, shape.instances);
      const requests = instances.flatMap((instance) => Array.from({ length: shape.perInstance }, () => () => instance(tenant)));
      admittedPerTrial.push((await runLoad(requests, requests.length)).admitted);
    }
    results.push({
      label: contender.label,
      capacity: shape.capacity,
      requests: shape.instances * shape.perInstance,
      admittedPerTrial,
      maxOverAdmitted: Math.max(0, ...admittedPerTrial.map((admitted) => admitted - shape.capacity)),
    });
  }
  return results;
};

// ---------------------------------------------------------------------------------------------
// Window boundary: a full quota just before and just after the moment a fixed window resets.

export interface BoundaryFigures {
  readonly label: string;
  readonly capacity: number;
  readonly windowSeconds: number;
  readonly admittedBeforeBoundary: number;
  readonly admittedAfterBoundary: number;
  /** From the first request before the boundary to the last answer after it. */
  readonly spanMs: number;
  /** What a token bucket of this capacity and rate may admit in that span: C + ⌊span / T⌋. */
  readonly tokenBucketBound: number;
  readonly overAdmitted: number;
}

export const windowBoundary = async (
  context: BenchContext,
  contenders: readonly Contender[],
  shape: { capacity: number; windowSeconds: number; marginMs: number; instances: number },
): Promise<BoundaryFigures[]> => {
  const intervalMs = (shape.windowSeconds * 1000) / shape.capacity;
  const results: BoundaryFigures[] = [];
  for (const contender of contenders) {
    const tenant = freshTenant();
    const instances = fleet(context, contender, shape.instances);
    const burst = () => Array.from({ length: shape.capacity }, (_, index) => () => at(instances, index)(tenant));
    // The first request opens the fixed window (and spends one token of the bucket).
    const opened = Date.now();
    await pick(instances)(tenant);
    await sleepUntil(opened + shape.windowSeconds * 1000 - shape.marginMs);
    const spanStart = performance.now();
    const before = await runLoad(burst(), shape.capacity);
    await sleepUntil(opened + shape.windowSeconds * 1000 + shape.marginMs);
    const after = await runLoad(burst(), shape.capacity);
    const spanMs = performance.now() - spanStart;
    const admitted = before.admitted + after.admitted;
    const tokenBucketBound = shape.capacity + Math.floor(spanMs / intervalMs);
    results.push({
      label: contender.label,
      capacity: shape.capacity,
      windowSeconds: shape.windowSeconds,
      admittedBeforeBoundary: before.admitted,
      admittedAfterBoundary: after.admitted,
      spanMs,
      tokenBucketBound,
      overAdmitted: Math.max(0, admitted - tokenBucketBound),
    });
  }
  return results;
};

// ---------------------------------------------------------------------------------------------
// Cost of admitted requests: every request is under the limit.

export const admittedFromOneInstance = async (
  context: BenchContext,
  contenders: readonly Contender[],
  requests: number,
): Promise<CostFigures[]> => {
  const results: CostFigures[] = [];
  for (const contender of contenders) {
    const tenant = freshTenant();
    const instance = instanceOf(context, contender);
    results.push(
      await measured(context, contender, () =>
        runLoad(
          Array.from({ length: requests }, () => () => instance(tenant)),
          1,
        ),
      ),
    );
  }
  return results;
};

export const admittedAcrossFleet = async (
  context: BenchContext,
  contenders: readonly Contender[],
  shape: { instances: number; tenants: number; requestsPerTenant: number; concurrency: number },
): Promise<CostFigures[]> => {
  const results: CostFigures[] = [];
  for (const contender of contenders) {
    const tenants = Array.from({ length: shape.tenants }, freshTenant);
    const instances = fleet(context, contender, shape.instances);
    const requests = Array.from({ length: shape.tenants * shape.requestsPerTenant }, (_, index) => {
      const tenant = at(tenants, index);
      return () => pick(instances)(tenant);
    });
    results.push(await measured(context, contender, () => runLoad(requests, shape.concurrency)));
  }
  return results;
};

// ---------------------------------------------------------------------------------------------
// Cost of rejected requests: one tenant floods after spending its whole quota.

export const rejectedFlood = async (
  context: BenchContext,
  contenders: readonly Contender[],
  shape: { capacity: number; instances: number; requests: number; concurrency: number },
): Promise<CostFigures[]> => {
  const results: CostFigures[] = [];
  for (const contender of contenders) {
    const tenant = freshTenant();
    // Spent by an instance outside the measured fleet, so the fleet starts cold.
    const spender = instanceOf(context, contender);
    await runLoad(
      Array.from({ length: shape.capacity }, () => () => spender(tenant)),
      1,
    );
    const instances = fleet(context, contender, shape.instances);
    const requests = Array.from({ length: shape.requests }, () => () => pick(instances)(tenant));
    results.push(await measured(context, contender, () => runLoad(requests, shape.concurrency)));
  }
  return results;
};

// ---------------------------------------------------------------------------------------------
// Sharding: what spreading one tenant over N items costs in exactness.

export interface ShardingFigures {
  readonly shards: number;
  readonly capacity: number;
  /** Most admitted out of a concurrent burst far larger than the capacity. */
  readonly burstAdmittedMax: number;
  /** Admitted when exactly `capacity` requests arrive unevenly from cold instances (exact: all). */
  readonly exactDemandAdmitted: readonly number[];
  readonly callsPerRequest: number;
}

export const shardingCost = async (
  context: BenchContext,
  policy: BucketPolicy,
  shardCounts: readonly number[],
  shape: { burstInstances: number; burstPerInstance: number; coldInstances: number; trials: number },
): Promise<ShardingFigures[]> => {
  const results: ShardingFigures[] = [];
  for (const shards of shardCounts) {
    const contender: Contender = { kind: 'gcra', label: `gcra ×${shards}`, settings: { policy, shards } };
    const [burst] = await concurrencyExactness(context, [contender], {
      capacity: policy.burst,
      instances: shape.burstInstances,
      perInstance: shape.burstPerInstance,
      trials: shape.trials,
    });
    const exactDemandAdmitted: number[] = [];
    context.clients.gcraMeter.reset();
    const perInstance = Math.ceil(policy.burst / shape.coldInstances);
    for (let trial = 0; trial < shape.trials; trial += 1) {
      const tenant = freshTenant();
      const now = frozenNow();
      const instances = fleet(context, { ...contender, settings: { ...contender.settings, now } }, shape.coldInstances);
      // Each cold instance sends its few requests one after another, all instances at once.
      const sequences = instances.map(async (instance) => {
        let admitted = 0;
        for (let request = 0; request < perInstance; request += 1) if ((await instance(tenant)) === 'admitted') admitted += 1;
        return admitted;
      });
      exactDemandAdmitted.push((await Promise.all(sequences)).reduce((sum, count) => sum + count, 0));
    }
    results.push({
      shards,
      capacity: policy.burst,
      burstAdmittedMax: Math.max(...(burst?.admittedPerTrial ?? [])),
      exactDemandAdmitted,
      callsPerRequest: context.clients.gcraMeter.read().calls / (shape.trials * shape.coldInstances * perInstance),
    });
  }
  return results;
};
