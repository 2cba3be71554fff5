/** What bench/idempotency.ts produces (bench/results/idempotency.json), read by its report and the summary. */
import type { CostPerRequest } from './call-meter.js';
import type { LatencyFigures } from './latency.js';
import type { PathBenchmarkResult } from './results.js';

/** `warmReplay` runs with both libraries' caches of completed records on; every other path with both off. */
export type IdempotencyPath = 'first' | 'replay' | 'warmReplay' | 'collision' | 'atomicCommit';

export interface PathFigures {
  readonly cost: CostPerRequest;
  readonly sequential: LatencyFigures;
  readonly concurrent: LatencyFigures;
  readonly statuses: Readonly<Record<string, number>>;
  readonly handlerRuns: number;
}

/** Retrysafe ÷ Powertools: below 1 means fewer calls, less capacity, lower latency. */
export interface PathRatios {
  readonly calls: number;
  readonly reportedUnits: number;
  readonly billedUnits: number;
  readonly sequentialP50: number;
  readonly sequentialP99: number;
  readonly concurrentP50: number;
  readonly concurrentP99: number;
  /** Above 1 means more requests per second. */
  readonly concurrentThroughput: number;
}

export interface PathComparison {
  readonly path: IdempotencyPath;
  readonly description: string;
  readonly retrysafe: PathFigures;
  readonly powertools: PathFigures;
  readonly ratios: PathRatios;
}

export type IdempotencyBenchmarkResult = PathBenchmarkResult<'idempotency', PathComparison>;
