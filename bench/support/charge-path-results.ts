/** What bench/charge-path.ts produces (bench/results/charge-path.json), read by its report and the summary. */
import type { CostPerRequest } from './call-meter.js';
import type { LatencyFigures } from './latency.js';
import type { PathBenchmarkResult } from './results.js';

export type ChargePath = 'first' | 'replay' | 'collision';

export interface ChargePathFigures {
  readonly path: ChargePath;
  readonly description: string;
  /** DynamoDB calls of Retrysafe's charges function. */
  readonly api: CostPerRequest;
  /** The sandbox processor's own calls: a separate service (its own Lambda) in the deployed stack. */
  readonly processor: CostPerRequest;
  readonly sequential: LatencyFigures;
  readonly concurrent: LatencyFigures;
  readonly statuses: Readonly<Record<string, number>>;
}

export type ChargePathBenchmarkResult = PathBenchmarkResult<'charge-path', ChargePathFigures>;
