import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type IdempotencyKey, recordId, recoveryShardNames } from '@retrysafe/idempotency';
import { queryAll } from '../lambdas/shared/dynamodb.js';
import type { AccountId } from '../lambdas/shared/ids.js';
import { tables } from '../lambdas/topology.js';

/** A key whose request may have reached the processor and is not resolved yet: the completer's work. */
export interface PendingRecoveryPoint {
  readonly key: IdempotencyKey;
  /** Epoch ms from which the completer may take it over. */
  readonly recoverAt: number;
}

/** Where the tenant's recovery points are read: the idempotency table's sparse index. */
export interface RecoverySource {
  readonly dynamo: DynamoDBDocumentClient;
  readonly idempotencyTable: string;
  readonly account: AccountId;
}

const recoveryIndex = tables.idempotency.globalSecondaryIndexes[0].indexName;

/**
 * The tenant's unresolved recovery points, every shard of the sparse index, every page. The index
 * holds only unresolved points, of every tenant; the filter keeps this tenant's.
 */
export const pendingRecoveryPoints = async (source: RecoverySource): Promise<PendingRecoveryPoint[]> => {
  const prefix = recordId(source.account, '' as IdempotencyKey);
  const shards = await Promise.all(
    recoveryShardNames.map((shard) =>
      queryAll<{ pk: string; recoverAt: number }>(source.dynamo, {
        TableName: source.idempotencyTable,
        IndexName: recoveryIndex,
        KeyConditionExpression: 'recoveryShard = :shard',
        FilterExpression: 'begins_with(pk, :prefix)',
        ProjectionExpression: 'pk, recoverAt',
        ExpressionAttributeValues: { ':shard': shard, ':prefix': prefix },
      }),
    ),
  );
  return shards.flat().map((item) => ({ key: item.pk.slice(prefix.length) as IdempotencyKey, recoverAt: item.recoverAt }));
};

/** How the wait for the completer went. */
export interface RecoveryWait {
  /** The tenant's recovery points when the load ended: what was left for the completer. */
  readonly pointsAtLoadEnd: readonly PendingRecoveryPoint[];
  /** Points still unresolved when the wait ended: none unless the deadline came first. */
  readonly pointsLeft: number;
  readonly drained: boolean;
  /** From the end of the load until no point was left (or the deadline). */
  readonly durationMs: number;
}

export interface RecoveryWaitOptions {
  readonly read: () => Promise<readonly PendingRecoveryPoint[]>;
  /** The longest the wait may take. */
  readonly timeoutMs: number;
  readonly pollMs: number;
  /** Told the points left after every read. */
  readonly onProgress?: (left: readonly PendingRecoveryPoint[], elapsedMs: number) => void;
}

/**
 * Waits until the completer has resolved every recovery point of the tenant: the clients of the
 * run are gone, so nobody else will. Bounded by `timeoutMs`; what is left then is reported.
 */
export const awaitRecovery = async (options: RecoveryWaitOptions): Promise<RecoveryWait> => {
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  const pointsAtLoadEnd = await options.read();
  let left = pointsAtLoadEnd;
  for (;;) {
    options.onProgress?.(left, elapsed());
    if (left.length === 0 || elapsed() >= options.timeoutMs) break;
    await sleep(Math.min(options.pollMs, Math.max(0, options.timeoutMs - elapsed())));
    left = await options.read();
  }
  return { pointsAtLoadEnd, pointsLeft: left.length, drained: left.length === 0, durationMs: elapsed() };
};

const count = (n: number): string => n.toLocaleString('en-US');

/** The progress line of the wait: how many points are left, how many the completer may take now. */
export const recoveryProgressLine = (left: readonly PendingRecoveryPoint[], elapsedMs: number, nowMs: number): string => {
  const settling = left.filter((point) => point.recoverAt > nowMs).map((point) => point.recoverAt);
  return (
    `recovery: ${count(left.length)} recovery point(s) left · ${count(left.length - settling.length)} due` +
    (settling.length > 0
      ? ` · ${count(settling.length)} settling (next due in ${Math.ceil((Math.min(...settling) - nowMs) / 1000)} s)`
      : '') +
    ` · ${(elapsedMs / 1000).toFixed(0)} s`
  );
};
