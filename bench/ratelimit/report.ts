import type { BoundaryFigures, CostFigures, ExactnessFigures, ShardingFigures } from './scenarios.js';

export interface CostComparison {
  readonly scenario: string;
  readonly gcra: CostFigures;
  readonly flexible: CostFigures;
  /** gcra ÷ rate-limiter-flexible: below 1 means fewer calls, less capacity, lower latency. */
  readonly ratios: {
    readonly callsPerRequest: number;
    readonly capacityUnitsPerRequest: number;
    readonly p50: number;
    readonly p99: number;
    readonly throughput: number;
  };
}

export const compare = (scenario: string, gcra: CostFigures, flexible: CostFigures): CostComparison => ({
  scenario,
  gcra,
  flexible,
  ratios: {
    callsPerRequest: gcra.callsPerRequest / flexible.callsPerRequest,
    capacityUnitsPerRequest: gcra.capacityUnitsPerRequest / flexible.capacityUnitsPerRequest,
    p50: gcra.p50Ms / flexible.p50Ms,
    p99: gcra.p99Ms / flexible.p99Ms,
    throughput: gcra.throughputPerSecond / flexible.throughputPerSecond,
  },
});

const fixed = (value: number, digits = 2): string => (Number.isFinite(value) ? value.toFixed(digits) : '—');

/** Answers from memory take microseconds: keep them distinguishable from zero. */
const millis = (value: number): string => fixed(value, value < 1 ? 3 : 2);

const row = (cells: readonly string[], widths: readonly number[]): string =>
  cells.map((cell, index) => (index === 0 ? cell.padEnd(widths[index] ?? 0) : cell.padStart(widths[index] ?? 0))).join('  ');

const costWidths = [50, 8, 8, 8, 9, 9, 9, 8] as const;
const costHeader = row(['', 'admitted', 'rejected', 'calls/rq', 'CU/rq', 'p50 ms', 'p99 ms', 'req/s'], costWidths);

const costRow = (figures: CostFigures): string =>
  row(
    [
      `  ${figures.label}`,
      String(figures.admitted),
      String(figures.rejected + figures.errors),
      fixed(figures.callsPerRequest),
      fixed(figures.capacityUnitsPerRequest),
      millis(figures.p50Ms),
      millis(figures.p99Ms),
      fixed(figures.throughputPerSecond, 0),
    ],
    costWidths,
  );

export const costTable = (title: string, comparisons: readonly CostComparison[], extras: readonly CostFigures[] = []): string[] => {
  const lines = [title, costHeader];
  for (const comparison of comparisons) {
    lines.push(` ${comparison.scenario}`, costRow(comparison.gcra), costRow(comparison.flexible));
    const { ratios } = comparison;
    lines.push(
      row(
        [
          '  ratio gcra / flexible',
          '',
          '',
          fixed(ratios.callsPerRequest),
          fixed(ratios.capacityUnitsPerRequest),
          fixed(ratios.p50),
          fixed(ratios.p99),
          fixed(ratios.throughput),
        ],
        costWidths,
      ),
    );
  }
  for (const figures of extras) lines.push(costRow(figures));
  return lines;
};

export const exactnessTable = (concurrency: readonly ExactnessFigures[], boundary: readonly BoundaryFigures[]): string[] => {
  const lines = ['Exactness'];
  for (const figures of concurrency) {
    lines.push(
      `  ${figures.label.padEnd(42)} ${figures.requests} concurrent on ${figures.capacity} tokens: admitted ${figures.admittedPerTrial.join(', ')} (over-admitted ≤ ${figures.maxOverAdmitted})`,
    );
  }
  for (const figures of boundary) {
    lines.push(
      `  ${figures.label.padEnd(42)} ${figures.capacity} before + ${figures.capacity} after a ${figures.windowSeconds} s boundary: admitted ${figures.admittedBeforeBoundary} + ${figures.admittedAfterBoundary} in ${fixed(figures.spanMs, 0)} ms; token-bucket bound ${figures.tokenBucketBound}, over-admitted ${figures.overAdmitted}`,
    );
  }
  return lines;
};

export const shardingTable = (figures: readonly ShardingFigures[]): string[] => [
  'Sharding one tenant over N items (100 tokens): exactness cost',
  row(['', 'burst max', 'capacity N·⌈B/N⌉', 'exact demand admitted', 'calls/rq'], [12, 10, 17, 24, 9]),
  ...figures.map((f) =>
    row(
      [
        `  ×${f.shards}`,
        String(f.burstAdmittedMax),
        String(f.shards * Math.ceil(f.capacity / f.shards)),
        `${f.exactDemandAdmitted.join(', ')} of ${f.capacity}`,
        fixed(f.callsPerRequest),
      ],
      [12, 10, 17, 24, 9],
    ),
  ),
];
