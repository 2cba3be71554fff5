import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException, TransactionCanceledException, type AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { TransactItem } from './atomic-commit.js';
import type { IdempotencyKey } from './key-header.js';
import {
  claimCondition,
  holderCondition,
  type CompletedRecord,
  type IdempotencyRecord,
  type InProgressRecord,
  type RecoveryPoint,
} from './state-machine.js';
import type { EncodedResponse } from './stored-response.js';

/** A record's partition key: scope and key, the scope URI-encoded so a '#' in a key cannot forge one. */
export const recordId = (scope: string | undefined, key: IdempotencyKey): string => `${encodeURIComponent(scope ?? '')}#${key}`;

/** DynamoDB's limit on one TransactWriteItems; the record itself takes one slot. */
export const maxBusinessWrites = 99;

/**
 * Recovery points are spread over this many partitions of their sparse index, so that a burst
 * of claims (every one a recovery point until it completes) never meets the ~1,000 writes/s one
 * index partition takes. The completer reads every shard.
 */
export const recoveryShards = 8;

const recoveryShardName = (shard: number): string => `R${shard}`;

/** The values of the sparse index's partition key, one per shard: a reader of every recovery point queries each. */
export const recoveryShardNames: readonly string[] = Array.from({ length: recoveryShards }, (_, shard) => recoveryShardName(shard));

/** What an invocation holds after a successful claim: the fencing token proves it. */
export interface Claim {
  readonly pk: string;
  readonly token: string;
  readonly fingerprint: string;
  /** A recovery point is never released once its handler ran: it is suspended instead. */
  readonly recoverable: boolean;
}

export type ClaimResult =
  /**
   * `previous` is the record the claim replaced: none, one whose time was up, or an IN_PROGRESS
   * record whose lease had ended (a takeover). Undefined too when the SDK's retry of our own
   * write found it already there, which only loses a takeover from the counts.
   */
  | { readonly kind: 'claimed'; readonly claim: Claim; readonly previous: IdempotencyRecord | undefined }
  | { readonly kind: 'taken'; readonly record: IdempotencyRecord | undefined };

export type CommitResult =
  | { readonly kind: 'committed' }
  /** Another invocation holds the key now (this one's lease ran out); nothing was written. */
  | { readonly kind: 'claim-lost'; readonly record: IdempotencyRecord | undefined }
  /** A business write's own condition failed; nothing was written. */
  | { readonly kind: 'write-rejected'; readonly index: number; readonly item: Record<string, unknown> | undefined };

/** A recovery point as its sparse index shows it: unresolved, and from when the completer may take it over. */
export type UnresolvedRecoveryPoint = InProgressRecord & { readonly recovery: RecoveryPoint; readonly recoverAt: number };

/** One the completer may take over now. */
export type DueRecoveryPoint = UnresolvedRecoveryPoint;

const oldItem = (item: Record<string, AttributeValue> | undefined): IdempotencyRecord | undefined =>
  item === undefined ? undefined : (unmarshall(item) as IdempotencyRecord);

/**
 * The SDK retries a write whose answer it lost (a timeout, a 500), and the repeat then fails its
 * condition against the very record the first attempt wrote. The fencing token tells that
 * apart from another executor's record.
 */
const writtenByUs = (record: IdempotencyRecord | undefined, token: string): boolean => record !== undefined && record.token === token;

const transactionConflictRetries = 4;

/** Asks every conditional write for the item it failed on, so a rejection explains itself for free. */
const withOldItemOnFailure = (write: TransactItem): TransactItem => {
  const [kind, operation] = Object.entries(write)[0] as [keyof TransactItem, Record<string, unknown> | undefined];
  if (operation === undefined || operation.ConditionExpression === undefined || 'ReturnValuesOnConditionCheckFailure' in operation)
    return write;
  return { [kind]: { ...operation, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } };
};

const isConflictOnly = (error: TransactionCanceledException): boolean =>
  (error.CancellationReasons ?? []).some((reason) => reason.Code === 'TransactionConflict') &&
  !(error.CancellationReasons ?? []).some((reason) => reason.Code === 'ConditionalCheckFailed');

const backoff = (attempt: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * 2 ** attempt));

/** A stable shard per record, so a recovery point stays in one index partition across suspensions. */
const shardOf = (pk: string): string => {
  let hash = 0;
  for (let i = 0; i < pk.length; i++) hash = (hash * 31 + pk.charCodeAt(i)) >>> 0;
  return recoveryShardName(hash % recoveryShards);
};

/**
 * Where records live: a table of its own keyed by `pk` (see table.ts), or a service's own table
 * with a sort key, where every record takes the same sort key value beside the service's other
 * items. Recovery points need the sparse index.
 */
export interface RecordTable {
  readonly name: () => string;
  readonly sortKey?: { readonly attribute: string; readonly value: string };
  /** The index over `recoveryShard` and `recoverAt`; a table without one cannot hold recovery points. */
  readonly recoveryIndex?: string;
}

export interface ClaimInput {
  readonly pk: string;
  readonly fingerprint: string;
  readonly token: string;
  readonly nowMs: number;
  readonly leaseUntil: number;
  /** For an ordinary claim: when an abandoned claim expires. */
  readonly expiresAt: number;
  /** For a recovery point: what finishes the request, and when the completer may take it over. */
  readonly recovery?: { readonly point: RecoveryPoint; readonly recoverAt: number };
}

/**
 * The persistence layer: each state-machine transition as exactly one DynamoDB request. A
 * failed condition returns the current record (ReturnValuesOnConditionCheckFailure: ALL_OLD),
 * so a collision is answered from the same round trip that detected it.
 */
export class IdempotencyStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: RecordTable,
  ) {}

  async claim(input: ClaimInput): Promise<ClaimResult> {
    const base = {
      pk: input.pk,
      status: 'IN_PROGRESS',
      fingerprint: input.fingerprint,
      token: input.token,
      claimedAt: input.nowMs,
      leaseUntil: input.leaseUntil,
    } as const;
    const record: InProgressRecord =
      input.recovery === undefined
        ? { ...base, expiresAt: input.expiresAt }
        : {
            ...base,
            recovery: input.recovery.point,
            recoverAt: input.recovery.recoverAt,
            recoveryShard: this.recoveryShardFor(input.pk),
          };
    const claim: Claim = { pk: input.pk, token: input.token, fingerprint: input.fingerprint, recoverable: input.recovery !== undefined };
    try {
      const written = await this.client.send(
        new PutCommand({
          TableName: this.table.name(),
          Item: { ...record, ...this.key(input.pk) },
          ConditionExpression: claimCondition.expression,
          ExpressionAttributeNames: claimCondition.names,
          ExpressionAttributeValues: claimCondition.values(input.nowMs, input.fingerprint),
          // Free on a PutItem: tells a first execution from a takeover without another read.
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { kind: 'claimed', claim, previous: written.Attributes as IdempotencyRecord | undefined };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const current = oldItem(error.Item);
      return writtenByUs(current, input.token) ? { kind: 'claimed', claim, previous: undefined } : { kind: 'taken', record: current };
    }
  }

  /** Completes a claim with nothing else to write: one conditional UpdateItem. */
  async complete(claim: Claim, response: EncodedResponse, nowMs: number, expiresAt: number): Promise<CommitResult> {
    try {
      await this.client.send(new UpdateCommand(this.completion(claim, response, nowMs, expiresAt)));
      return { kind: 'committed' };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return this.lostOrOurs(claim, oldItem(error.Item));
    }
  }

  /**
   * Commits business writes and, when a claim is held, its completion in one TransactWriteItems:
   * either the side effects and the COMPLETED record both exist, or neither does. Transaction
   * conflicts (another transaction touching the same item) leave nothing written and are retried.
   * Each attempt carries its own ClientRequestToken, so an SDK retry of an attempt that DynamoDB
   * applied is answered as applied rather than run again.
   */
  async commit(
    claim: Claim | undefined,
    writes: readonly TransactItem[],
    completion: { readonly response: EncodedResponse; readonly nowMs: number; readonly expiresAt: number } | undefined,
  ): Promise<CommitResult> {
    if (writes.length > maxBusinessWrites) throw new Error(`At most ${maxBusinessWrites} writes can commit with an idempotency record`);
    const completing =
      claim === undefined || completion === undefined
        ? []
        : [{ Update: this.completion(claim, completion.response, completion.nowMs, completion.expiresAt) }];
    const items = [...writes.map(withOldItemOnFailure), ...completing];
    if (items.length === 0) return { kind: 'committed' };
    for (let attempt = 0; ; attempt++) {
      try {
        await this.client.send(new TransactWriteCommand({ TransactItems: items, ClientRequestToken: randomUUID() }));
        return { kind: 'committed' };
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        if (isConflictOnly(error) && attempt < transactionConflictRetries) {
          await backoff(attempt);
          continue;
        }
        const reasons = error.CancellationReasons ?? [];
        const recordReason = completing.length > 0 ? reasons[writes.length] : undefined;
        if (claim !== undefined && recordReason?.Code === 'ConditionalCheckFailed')
          return this.lostOrOurs(claim, oldItem(recordReason.Item));
        const index = reasons.findIndex((reason) => reason.Code === 'ConditionalCheckFailed');
        if (index === -1) throw error;
        const item = reasons[index]?.Item;
        return { kind: 'write-rejected', index, item: item === undefined ? undefined : unmarshall(item) };
      }
    }
  }

  /** Gives the key back so a retry executes again; a no-op when this invocation no longer holds it. */
  async release(claim: Claim): Promise<boolean> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.table.name(),
          Key: this.key(claim.pk),
          ConditionExpression: holderCondition.expression,
          ExpressionAttributeNames: holderCondition.names,
          ExpressionAttributeValues: holderCondition.values(claim.token),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Ends this executor's lease on a recovery point without giving the key back: a retry of the
   * same request may take it over at once, the completer from `recoverAt`. False when this
   * invocation no longer holds it.
   */
  async suspend(claim: Claim, nowMs: number, recoverAt: number): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table.name(),
          Key: this.key(claim.pk),
          UpdateExpression: 'SET #leaseUntil = :nowMs, recoverAt = :recoverAt',
          ConditionExpression: holderCondition.expression,
          ExpressionAttributeNames: { ...holderCondition.names, '#leaseUntil': 'leaseUntil' },
          ExpressionAttributeValues: { ...holderCondition.values(claim.token), ':nowMs': nowMs, ':recoverAt': recoverAt },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** A strongly consistent read, for callers that wait on another executor. */
  async read(pk: string): Promise<IdempotencyRecord | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.table.name(), Key: this.key(pk), ConsistentRead: true }));
    return result.Item as IdempotencyRecord | undefined;
  }

  /** Recovery points whose time has come, oldest first within each shard; at most `limit` of them. */
  async dueRecoveryPoints(nowMs: number, limit: number): Promise<DueRecoveryPoint[]> {
    const index = this.table.recoveryIndex;
    if (index === undefined) throw new Error('This table has no recovery index');
    const perShard = await Promise.all(
      recoveryShardNames.map(async (shard) => {
        const result = await this.client.send(
          new QueryCommand({
            TableName: this.table.name(),
            IndexName: index,
            KeyConditionExpression: 'recoveryShard = :shard AND recoverAt <= :nowMs',
            ExpressionAttributeValues: { ':shard': shard, ':nowMs': nowMs },
            Limit: limit,
          }),
        );
        return (result.Items ?? []) as DueRecoveryPoint[];
      }),
    );
    return perShard
      .flat()
      .sort((a, b) => a.recoverAt - b.recoverAt)
      .slice(0, limit);
  }

  /**
   * Every unresolved recovery point first claimed before `claimedBefore`, due or not. The sparse
   * index holds nothing else, so this reads exactly the requests still unfinished, and no more.
   */
  async unresolvedRecoveryPoints(claimedBefore: number): Promise<UnresolvedRecoveryPoint[]> {
    const index = this.table.recoveryIndex;
    if (index === undefined) throw new Error('This table has no recovery index');
    const perShard = await Promise.all(recoveryShardNames.map((shard) => this.unresolvedInShard(index, shard, claimedBefore)));
    return perShard.flat();
  }

  /** One shard's unresolved points, every page of them: the filter can leave a page short of the end. */
  private async unresolvedInShard(index: string, shard: string, claimedBefore: number): Promise<UnresolvedRecoveryPoint[]> {
    const points: UnresolvedRecoveryPoint[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.table.name(),
          IndexName: index,
          KeyConditionExpression: 'recoveryShard = :shard',
          FilterExpression: '#recovery.#since < :claimedBefore',
          ExpressionAttributeNames: { '#recovery': 'recovery', '#since': 'since' },
          ExpressionAttributeValues: { ':shard': shard, ':claimedBefore': claimedBefore },
          ExclusiveStartKey: startKey,
        }),
      );
      points.push(...((page.Items ?? []) as UnresolvedRecoveryPoint[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return points;
  }

  private recoveryShardFor(pk: string): string {
    if (this.table.recoveryIndex === undefined) throw new Error('This table has no recovery index: it cannot hold recovery points');
    return shardOf(pk);
  }

  private key(pk: string): Record<string, string> {
    const { sortKey } = this.table;
    return sortKey === undefined ? { pk } : { pk, [sortKey.attribute]: sortKey.value };
  }

  /** A completion that failed its condition: lost to a successor, or already applied by our own first attempt. */
  private lostOrOurs(claim: Claim, record: IdempotencyRecord | undefined): CommitResult {
    return record?.status === 'COMPLETED' && writtenByUs(record, claim.token) ? { kind: 'committed' } : { kind: 'claim-lost', record };
  }

  /** COMPLETED, with its expiry starting now, and a recovery point's index entry gone. */
  private completion(claim: Claim, response: EncodedResponse, nowMs: number, expiresAt: number) {
    const [attribute, value] = 'responseGzip' in response ? ['responseGzip', response.responseGzip] : ['response', response.response];
    return {
      TableName: this.table.name(),
      Key: this.key(claim.pk),
      UpdateExpression:
        'SET #status = :completed, #stored = :stored, completedAt = :nowMs, expiresAt = :expiresAt REMOVE leaseUntil, recovery, recoverAt, recoveryShard',
      ConditionExpression: holderCondition.expression,
      ExpressionAttributeNames: { ...holderCondition.names, '#stored': attribute },
      ExpressionAttributeValues: {
        ...holderCondition.values(claim.token),
        ':completed': 'COMPLETED' satisfies CompletedRecord['status'],
        ':stored': value,
        ':nowMs': nowMs,
        ':expiresAt': expiresAt,
      },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    };
  }
}
