import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { summaryNeedsAttention } from '../lambdas/reconciliation/reconciler.js';
import { type RunSummary, WatermarkStore } from '../lambdas/reconciliation/watermarks.js';
import { idempotencyEngineFor } from '../lambdas/shared/idempotency-engine.js';
import { recoveryIntervalMs } from '../lambdas/shared/recovery-run.js';
import { type SweepIndex, sweepIndexEntries, sweepShards } from '../lambdas/shared/sweep-index.js';
import { pendingDeliveriesIndex, type QueueName, unpublishedEventsIndex } from '../lambdas/topology.js';
import { overdueAfterMs } from '../lambdas/webhooks/delivery-state.js';
import { unpublishedAfterMs } from '../lambdas/webhooks/outbox-sweep.js';
import { reason } from '../cli/io.js';
import type { OpsTarget, QueueUrls } from './target.js';

/** One thing the status looks at: whether it needs a human, and what to tell them. */
export interface Finding {
  readonly title: string;
  readonly attention: boolean;
  readonly lines: readonly string[];
}

const at = (epochMs: number): string => new Date(epochMs).toISOString();
const minutes = (ms: number): string => `${Math.round(ms / 60_000)} min`;

/**
 * Recovery points are the only IN_PROGRESS keys that wait for someone else: an ordinary claim
 * whose lease ran out is taken over by the client's retry, or deleted by TTL, and is not
 * indexed, so it is not read here. A point older than the stuck threshold is what the
 * reconciler reports as stuck; one whose lease ended waits for the completer.
 */
export const recoveryPoints = async (target: OpsTarget, nowMs: number, stuckAfterMs: number): Promise<Finding> => {
  const engine = idempotencyEngineFor('reconciler', { client: target.client, tableName: target.tables.idempotency, now: () => nowMs });
  const points = await engine.recoveryPointsClaimedBefore(Number.MAX_SAFE_INTEGER);
  const stuck = points.filter((point) => point.recovery.since <= nowMs - stuckAfterMs).sort((a, b) => a.recovery.since - b.recovery.since);
  const leaseOver = points.filter((point) => point.leaseUntil <= nowMs).length;
  return {
    title: 'Recovery points',
    attention: stuck.length > 0,
    lines: [
      `${points.length} unresolved, ${leaseOver} of them IN_PROGRESS past their lease (the completer's to finish), ${stuck.length} stuck longer than ${minutes(stuckAfterMs)}`,
      ...stuck.map(
        (point) =>
          `  ${point.recovery.scope ?? '-'} key ${point.recovery.key}: unresolved since ${at(point.recovery.since)} (${minutes(nowMs - point.recovery.since)}), lease ${point.leaseUntil <= nowMs ? 'over' : 'held'}`,
      ),
    ],
  };
};

/**
 * Ordinary claims (a webhook endpoint's create, say) still IN_PROGRESS after their lease: their
 * executor died. Nothing is lost: a retry with the same request takes the key over, and TTL
 * removes it otherwise, so they are shown, not alarmed. They are not indexed, hence the scan.
 */
export const claimsPastLease = async (target: OpsTarget, nowMs: number): Promise<Finding> => {
  const keys: { pk: string; leaseUntil: number }[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await target.client.send(
      new ScanCommand({
        TableName: target.tables.idempotency,
        FilterExpression: '#status = :inProgress AND #leaseUntil <= :now AND attribute_not_exists(#recoveryShard)',
        ExpressionAttributeNames: { '#status': 'status', '#leaseUntil': 'leaseUntil', '#recoveryShard': 'recoveryShard', '#pk': 'pk' },
        ExpressionAttributeValues: { ':inProgress': 'IN_PROGRESS', ':now': nowMs },
        ProjectionExpression: '#pk, #leaseUntil',
        ExclusiveStartKey: startKey,
      }),
    );
    keys.push(...((page.Items ?? []) as { pk: string; leaseUntil: number }[]));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  const shown = keys.sort((a, b) => a.leaseUntil - b.leaseUntil).slice(0, 20);
  return {
    title: 'Claims past their lease',
    attention: false,
    lines: [
      `${keys.length} ordinary claim${keys.length === 1 ? '' : 's'} IN_PROGRESS past their lease (a retry takes each over; TTL removes the rest)`,
      ...shown.map(({ pk, leaseUntil }) => `  ${pk}: lease ended ${at(leaseUntil)} (${minutes(nowMs - leaseUntil)} ago)`),
      ...(keys.length > shown.length ? [`  ... and ${keys.length - shown.length} more`] : []),
    ],
  };
};

/**
 * Visible, in flight and delayed: every message a dead-letter queue, or a stream's failure
 * queue, holds is a failure someone must look at.
 */
export const deadLetterQueues = async (target: OpsTarget, urls: Readonly<Record<QueueName, QueueUrls>>): Promise<Finding> => {
  const watched: [string, string][] = [
    ...(Object.entries(urls) as [QueueName, QueueUrls][]).map(([queue, { deadLetterUrl }]): [string, string] => [queue, deadLetterUrl]),
    ...Object.entries(target.streamFailureQueues),
  ];
  const depths = await Promise.all(
    watched.map(async ([queue, deadLetterUrl]) => {
      const { Attributes = {} } = await target.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: deadLetterUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
        }),
      );
      const depth = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'].reduce(
        (sum, name) => sum + Number(Attributes[name as keyof typeof Attributes] ?? 0),
        0,
      );
      return { queue, depth };
    }),
  );
  return {
    title: 'Dead-letter queues',
    attention: depths.some(({ depth }) => depth > 0),
    lines: depths.map(({ queue, depth }) => `${queue}: ${depth} message${depth === 1 ? '' : 's'}`),
  };
};

/** How many entries of a sparse sweep index sort at or below `upTo`, and the lowest sort key among them. */
const backlog = async (
  target: OpsTarget,
  table: string,
  index: SweepIndex,
  upTo: number,
): Promise<{ count: number; lowest: number | undefined }> => {
  let count = 0;
  let lowest: number | undefined;
  for (const shard of sweepShards) {
    for await (const entries of sweepIndexEntries(target.client, table, index, shard, upTo)) {
      count += entries.length;
      for (const { sortValue } of entries) lowest = Math.min(lowest ?? sortValue, sortValue);
    }
  }
  return { count, lowest };
};

/**
 * The outbox is behind when an event is still unpublished after the sweeper's threshold plus
 * one sweep interval: by then the sweeper has had its turn and failed. Likewise a pending
 * delivery overdue by more than the sweeper's threshold and an interval has lost its message
 * and was not given a new one.
 */
export const outboxLag = async (target: OpsTarget, nowMs: number): Promise<Finding> => {
  const graceMs = recoveryIntervalMs();
  const events = await backlog(target, target.tables.events, unpublishedEventsIndex, Math.floor(nowMs / 1000));
  const oldestAgeMs = events.lowest === undefined ? 0 : nowMs - events.lowest * 1000;
  const overdue = await backlog(target, target.tables.webhooks, pendingDeliveriesIndex, nowMs - overdueAfterMs - graceMs);
  return {
    title: 'Outbox',
    attention: oldestAgeMs > unpublishedAfterMs + graceMs || overdue.count > 0,
    lines: [
      `${events.count} event${events.count === 1 ? '' : 's'} unpublished` +
        (events.lowest === undefined ? '' : `, the oldest since ${at(events.lowest * 1000)} (${minutes(oldestAgeMs)})`) +
        `; the sweeper publishes what is older than ${minutes(unpublishedAfterMs)}`,
      `${overdue.count} webhook deliver${overdue.count === 1 ? 'y' : 'ies'} pending past ${minutes(overdueAfterMs + graceMs)} overdue (message lost, not re-sent)`,
    ],
  };
};

/**
 * A summary older than three of the reconciler's intervals means it has stopped running (its
 * schedule, its role, the processor's listing): what it would report goes unseen. None at all
 * is a stack that has not reached its first run yet, which is not a reason to wake anybody.
 */
export const lastReconciliation = (summary: RunSummary | undefined, nowMs: number): Finding => {
  if (summary === undefined)
    return {
      title: 'Last reconciliation',
      attention: false,
      lines: ['none recorded yet: the reconciler runs on its schedule, or `npm run ops -- reconcile`'],
    };
  const staleAfterMs = 3 * recoveryIntervalMs();
  const stale = nowMs - summary.at > staleAfterMs;
  return {
    title: 'Last reconciliation',
    attention: stale || summaryNeedsAttention(summary),
    lines: [
      `ended ${at(summary.at)}${summary.finished ? '' : ' (stopped early: the next run goes on)'}: ` +
        `${summary.counts.matched} matched, ${summary.counts.recovered} recovered, ${summary.counts.pending} pending, ` +
        `${summary.counts.mismatched} mismatched, ${summary.counts.unknown} unknown, ${summary.failed} failed, ${summary.stuck} stuck`,
      ...(stale
        ? [`no run for ${minutes(nowMs - summary.at)}, more than three intervals (${minutes(staleAfterMs)}): is the reconciler running?`]
        : []),
    ],
  };
};

export const readLastReconciliation = (target: OpsTarget): Promise<RunSummary | undefined> =>
  new WatermarkStore(target.client, target.tables.reconciliation).lastRun();

/** The rate limiter's store: one read of an item nobody writes, and how long it took. A limiter that cannot read fails open. */
export const rateLimitStore = async (target: OpsTarget, elapsedMs: () => number): Promise<Finding> => {
  const started = elapsedMs();
  try {
    await target.client.send(new GetCommand({ TableName: target.tables.rateLimits, Key: { pk: 'ops#health' } }));
    return { title: 'Rate-limit store', attention: false, lines: [`read in ${Math.round(elapsedMs() - started)} ms`] };
  } catch (error) {
    return {
      title: 'Rate-limit store',
      attention: true,
      lines: [`unreachable after ${Math.round(elapsedMs() - started)} ms: ${reason(error)}; the limiter fails open (or closed) meanwhile`],
    };
  }
};

export const renderStatus = (heading: string, findings: readonly Finding[]): string => {
  const attention = findings.filter((finding) => finding.attention);
  return [
    heading,
    '',
    ...findings.flatMap((finding) => [
      `${finding.attention ? 'NEEDS ATTENTION' : 'ok             '}  ${finding.title}`,
      ...finding.lines.map((line) => `    ${line}`),
    ]),
    '',
    attention.length === 0 ? 'Clean.' : `Needs attention: ${attention.map((finding) => finding.title.toLowerCase()).join(', ')}.`,
  ].join('\n');
};
