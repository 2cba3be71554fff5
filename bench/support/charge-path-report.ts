import type { ChargePathBenchmarkResult, ChargePathFigures } from './charge-path-results.js';
import { categoriesSummary, chargePurposeOrder, operationsSummary } from './operations.js';
import { fixed, textTable } from './text-table.js';

const reportedUnits = (figures: ChargePathFigures): number => figures.api.reportedReadUnits + figures.api.reportedWriteUnits;

/** Per path: the API's DynamoDB calls by purpose and operation, capacity, the processor's own calls, latency. */
export const chargePathTable = (result: ChargePathBenchmarkResult): string[] => {
  const { machine, parameters } = result;
  return [
    'Charge path: POST /v1/charges through the whole charges function (in-process), sandbox processor behind its function URL',
    `${parameters.requestsPerPattern} sequential + ${parameters.requestsPerPattern} concurrent (${parameters.concurrency} in flight) requests per path; Node ${machine.node}, ${machine.cpuCount} CPUs`,
    '',
    ...textTable({
      headers: [
        'path',
        'API calls/rq',
        'calls by purpose',
        'operations',
        'reported CU/rq',
        'billed est. CU/rq',
        'processor calls/rq',
        'seq p50 ms',
        'seq p99 ms',
        'conc p50 ms',
        'conc p99 ms',
        'conc req/s',
      ],
      rows: result.paths.map((figures) => [
        figures.description,
        fixed(figures.api.calls),
        categoriesSummary(figures.api.callsByCategory, chargePurposeOrder),
        operationsSummary(figures.api.callsByOperation),
        fixed(reportedUnits(figures)),
        fixed(figures.api.billedUnitsEstimate),
        fixed(figures.processor.calls),
        fixed(figures.sequential.p50Ms),
        fixed(figures.sequential.p99Ms),
        fixed(figures.concurrent.p50Ms),
        fixed(figures.concurrent.p99Ms),
        fixed(figures.concurrent.throughputPerSecond, 0),
      ]),
      align: ['left', 'right', 'left', 'left'],
    }),
    '',
    ...result.notes.map((note) => `• ${note}`),
  ];
};
