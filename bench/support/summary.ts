import type { ChargePathBenchmarkResult } from './charge-path-results.js';
import type { IdempotencyBenchmarkResult } from './idempotency-results.js';
import type { RateLimitBenchmarkResult } from '../ratelimit.js';
import type { MachineInfo } from './machine.js';
import { categoriesSummary, chargePurposeOrder } from './operations.js';
import { ratio } from './ratio.js';
import { fixed, markdownTable, textTable, type TableSpec } from './text-table.js';

interface Cost {
  readonly roundTrips: number;
  readonly capacityUnits: number;
}

/** One line of the combined report: Retrysafe's cost, and the other library's where there is one. */
export interface SummaryRow {
  readonly scope: string;
  readonly path: string;
  readonly retrysafe: Cost;
  readonly other?: Cost & { readonly library: string };
  /** Retrysafe ÷ the other library. */
  readonly ratios?: { readonly roundTrips: number; readonly capacityUnits: number; readonly p50: number; readonly p99: number };
}

export interface BenchSummary {
  readonly generatedAt: string;
  readonly command: string;
  readonly machine: MachineInfo;
  readonly rows: readonly SummaryRow[];
  /** Where each charge-path request's round trips went. */
  readonly chargePathBreakdown: readonly { readonly path: string; readonly callsByPurpose: Readonly<Record<string, number>> }[];
  readonly notes: readonly string[];
}

const notes = [
  'Every benchmark ran on the same DynamoDB Local in one run. DynamoDB Local is not DynamoDB: compare the ratios (Retrysafe ÷ the other library; below 1 = fewer round trips, less capacity, lower latency), not the absolute times.',
  'Capacity units per request: what DynamoDB reported through ReturnConsumedCapacity, plus what no response reports — at least 1 WCU per failed conditional write, and 2 WCU per item of a transactional write (DynamoDB Local reports less). A floor for items under 1 KB.',
  'Idempotency rows run with both libraries’ caches of completed records off, except "replay (completed key, warm cache)": both on (Retrysafe’s cacheEntries, Powertools’ useLocalCache), each key completed by the same container before its replays.',
  'Latency ratios: idempotency rows compare sequential p50/p99 (requests interleaved between the libraries); rate-limit rows are those of bench/ratelimit.ts for the scenario named.',
  'The charge path is Retrysafe alone (no library does the whole of it): POST /v1/charges with authentication (cached), the rate limiter, idempotency, the key-guard read and one TransactWriteItems committing the charge with its COMPLETED record. The sandbox processor’s own calls are not counted. Slightly more than 1 rate-limit call: with 16 requests of one tenant in flight, the limiter sometimes repeats its conditional write (exactly 1 when sequential).',
];

const powertools = '@aws-lambda-powertools/idempotency';
const flexible = 'rate-limiter-flexible';

export const buildSummary = (parts: {
  readonly idempotency: IdempotencyBenchmarkResult;
  readonly rateLimit: RateLimitBenchmarkResult;
  readonly chargePath: ChargePathBenchmarkResult;
  readonly command: string;
  readonly machine: MachineInfo;
}): BenchSummary => {
  const idempotencyRows = parts.idempotency.paths.map((comparison): SummaryRow => {
    const ours = { roundTrips: comparison.retrysafe.cost.roundTrips, capacityUnits: comparison.retrysafe.cost.billedUnitsEstimate };
    const theirs = { roundTrips: comparison.powertools.cost.roundTrips, capacityUnits: comparison.powertools.cost.billedUnitsEstimate };
    return {
      scope: 'Idempotency',
      path: comparison.description,
      retrysafe: ours,
      other: { library: powertools, ...theirs },
      ratios: {
        roundTrips: ratio(ours.roundTrips, theirs.roundTrips),
        capacityUnits: ratio(ours.capacityUnits, theirs.capacityUnits),
        p50: comparison.ratios.sequentialP50,
        p99: comparison.ratios.sequentialP99,
      },
    };
  });
  const rateLimitRows = [
    ...parts.rateLimit.admitted.map((comparison) => ({ comparison, outcome: 'admitted' })),
    ...parts.rateLimit.rejected.map((comparison) => ({ comparison, outcome: 'rejected' })),
  ].map(({ comparison, outcome }): SummaryRow => ({
    scope: 'Rate limit',
    path: `${outcome} — ${comparison.scenario}`,
    retrysafe: { roundTrips: comparison.gcra.callsPerRequest, capacityUnits: comparison.gcra.capacityUnitsPerRequest },
    other: {
      library: comparison.flexible.label.startsWith(flexible) ? comparison.flexible.label : flexible,
      roundTrips: comparison.flexible.callsPerRequest,
      capacityUnits: comparison.flexible.capacityUnitsPerRequest,
    },
    ratios: {
      roundTrips: comparison.ratios.callsPerRequest,
      capacityUnits: comparison.ratios.capacityUnitsPerRequest,
      p50: comparison.ratios.p50,
      p99: comparison.ratios.p99,
    },
  }));
  const chargeRows = parts.chargePath.paths.map((figures): SummaryRow => ({
    scope: 'Charge path',
    path: figures.description,
    retrysafe: { roundTrips: figures.api.roundTrips, capacityUnits: figures.api.billedUnitsEstimate },
  }));
  return {
    generatedAt: new Date().toISOString(),
    command: parts.command,
    machine: parts.machine,
    rows: [...idempotencyRows, ...rateLimitRows, ...chargeRows],
    chargePathBreakdown: parts.chargePath.paths.map((figures) => ({
      path: figures.description,
      callsByPurpose: figures.api.callsByCategory,
    })),
    notes,
  };
};

const summarySpec = (summary: BenchSummary): TableSpec => ({
  headers: [
    'scope',
    'path',
    'compared with',
    'round trips/rq',
    'other',
    'ratio',
    'capacity units/rq',
    'other',
    'ratio',
    'p50 ratio',
    'p99 ratio',
  ],
  rows: summary.rows.map((row) => [
    row.scope,
    row.path,
    row.other?.library ?? '—',
    fixed(row.retrysafe.roundTrips),
    fixed(row.other?.roundTrips),
    fixed(row.ratios?.roundTrips),
    fixed(row.retrysafe.capacityUnits),
    fixed(row.other?.capacityUnits),
    fixed(row.ratios?.capacityUnits),
    fixed(row.ratios?.p50),
    fixed(row.ratios?.p99),
  ]),
  align: ['left', 'left', 'left'],
});

const breakdownLines = (summary: BenchSummary): string[] =>
  summary.chargePathBreakdown.map((entry) => `${entry.path}: ${categoriesSummary(entry.callsByPurpose, chargePurposeOrder)}`);

const provenance = (summary: BenchSummary): string =>
  `Produced by \`${summary.command}\` on ${summary.generatedAt.slice(0, 10)} (Node ${summary.machine.node}, ${summary.machine.cpuCount} × ${summary.machine.cpuModel}).`;

export const summaryText = (summary: BenchSummary): string[] => [
  'Summary: DynamoDB round trips and capacity per request, Retrysafe vs the libraries it replaces (ratios = Retrysafe ÷ other)',
  provenance(summary),
  '',
  ...textTable(summarySpec(summary)),
  '',
  'Charge path round trips by purpose:',
  ...breakdownLines(summary).map((line) => `  ${line}`),
  '',
  ...summary.notes.map((note) => `• ${note}`),
];

/** The table and the charge path's breakdown, as the README shows them (between its benchmark markers). */
export const summaryReadmeBlock = (summary: BenchSummary): string =>
  [
    provenance(summary),
    '',
    ...markdownTable(summarySpec(summary)),
    '',
    'Charge path round trips by purpose:',
    '',
    ...breakdownLines(summary).map((line) => `- ${line}`),
  ].join('\n');

export const summaryMarkdown = (summary: BenchSummary): string =>
  ['# Benchmark summary', '', summaryReadmeBlock(summary), '', 'Notes:', '', ...summary.notes.map((note) => `- ${note}`), ''].join('\n');
