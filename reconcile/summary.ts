import type { Difference, Judged } from '../lambdas/reconciliation/classification.js';
import { classificationKinds } from '../lambdas/reconciliation/classification.js';
import { needsAttention, type ReconciliationReport } from '../lambdas/reconciliation/reconciler.js';
import { processorListings } from '../lambdas/reconciliation/watermarks.js';

/** Lines listed per class; the rest are counted. */
const listedPerClass = 20;

const at = (epochMs: number | undefined): string => (epochMs === undefined ? '-' : new Date(epochMs).toISOString());

const difference = ({ field, processor, retrysafe }: Difference): string =>
  `${field}: processor ${String(processor)}, Retrysafe ${retrysafe === null ? 'nothing' : String(retrysafe)}`;

const line = (judged: Judged): string => {
  const what = `${judged.listing === 'charges' ? 'charge' : 'refund'} ${judged.processorId} (${judged.account ?? 'no account'}, created ${at(judged.createdAtMs)})`;
  switch (judged.classification.kind) {
    case 'mismatched':
      return `${what}: ${judged.classification.differences.map(difference).join('; ')}`;
    case 'unknown':
      return `${what}: ${judged.classification.reason}, key ${judged.idempotencyKey}`;
    case 'matched':
    case 'recovered':
    case 'pending':
      return what;
  }
};

const section = (title: string, judged: readonly Judged[]): string[] =>
  judged.length === 0
    ? []
    : [
        '',
        `${title} (${judged.length}):`,
        ...judged.slice(0, listedPerClass).map((item) => `  ${line(item)}`),
        ...(judged.length > listedPerClass ? [`  ... and ${judged.length - listedPerClass} more`] : []),
      ];

/** The run as a person reads it: counts per listing and class, then every object that is not simply matched. */
export const renderSummary = (report: ReconciliationReport, heading: string, durationMs: number): string => {
  const header = ['', ...classificationKinds, 'failed', 'finished', 'watermark'];
  const rows = processorListings.map((listing) => {
    const walk = report.listings[listing];
    return [
      listing,
      ...classificationKinds.map((kind) => String(walk.counts[kind])),
      String(walk.failed),
      walk.finished ? 'yes' : 'no',
      at(walk.watermark),
    ];
  });
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const table = [header, ...rows].map((row) =>
    row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  '),
  );
  const of = (kind: Judged['classification']['kind']) => report.notable.filter((judged) => judged.classification.kind === kind);
  return [
    `${heading}, ${(durationMs / 1000).toFixed(1)} s`,
    '',
    ...table,
    ...section('Mismatched: reported, never changed', of('mismatched')),
    ...section('Unknown: not from Retrysafe', of('unknown')),
    ...section('Recovered: recorded here from the processor', of('recovered')),
    ...section('Pending: the completer still holds their keys; looked at again next run', of('pending')),
    ...(report.stuck.length === 0
      ? []
      : [
          '',
          `Stuck recovery points (${report.stuck.length}):`,
          ...report.stuck.map(
            (point) =>
              `  ${point.kind} ${point.account} key ${point.idempotencyKey}: unresolved since ${at(point.since)} (${Math.round(point.ageMs / 60_000)} min)`,
          ),
        ]),
    '',
    needsAttention(report) ? 'Needs attention.' : 'Clean.',
  ].join('\n');
};
