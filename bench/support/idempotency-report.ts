import type { IdempotencyBenchmarkResult, PathFigures } from './idempotency-results.js';
import { operationsSummary } from './operations.js';
import { fixed, textTable } from './text-table.js';

const headers = [
  'path',
  'library',
  'calls/rq',
  'operations per request',
  'reported CU/rq',
  'billed est. CU/rq',
  'seq p50 ms',
  'seq p99 ms',
  'conc p50 ms',
  'conc p99 ms',
  'conc req/s',
];

const figuresRow = (path: string, library: string, figures: PathFigures): string[] => [
  path,
  library,
  fixed(figures.cost.calls),
  operationsSummary(figures.cost.callsByOperation),
  fixed(figures.cost.reportedReadUnits + figures.cost.reportedWriteUnits),
  fixed(figures.cost.billedUnitsEstimate),
  fixed(figures.sequential.p50Ms),
  fixed(figures.sequential.p99Ms),
  fixed(figures.concurrent.p50Ms),
  fixed(figures.concurrent.p99Ms),
  fixed(figures.concurrent.throughputPerSecond, 0),
];

/** Both libraries side by side per path, then the ratio Retrysafe ÷ Powertools. */
export const idempotencyTable = (result: IdempotencyBenchmarkResult): string[] => {
  const rows = result.paths.flatMap((comparison) => [
    figuresRow(comparison.description, 'Retrysafe', comparison.retrysafe),
    figuresRow('', 'Powertools', comparison.powertools),
    [
      '',
      'ratio R/P',
      fixed(comparison.ratios.calls),
      '',
      fixed(comparison.ratios.reportedUnits),
      fixed(comparison.ratios.billedUnits),
      fixed(comparison.ratios.sequentialP50),
      fixed(comparison.ratios.sequentialP99),
      fixed(comparison.ratios.concurrentP50),
      fixed(comparison.ratios.concurrentP99),
      fixed(comparison.ratios.concurrentThroughput),
    ],
  ]);
  const { machine, parameters } = result;
  return [
    `Idempotency: Retrysafe idempotency() vs @aws-lambda-powertools/idempotency makeHandlerIdempotent (same handler, same DynamoDB Local, one run)`,
    `${parameters.requestsPerPattern} sequential + ${parameters.requestsPerPattern} concurrent (${parameters.concurrency} in flight) requests per path and library; Node ${machine.node}, ${machine.cpuCount} CPUs`,
    '',
    ...textTable({ headers, rows, align: ['left', 'left', 'right', 'left'] }),
    '',
    ...result.notes.map((note) => `• ${note}`),
  ];
};
