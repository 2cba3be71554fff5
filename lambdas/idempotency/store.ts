import { ConditionalCheckFailedException, TransactionCanceledException, type AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { TransactItem } from '../shared/dynamodb.js';
import type { IdempotencyKey } from './key-header.js';
import { claimCondition, holderCondition, type CompletedRecord, type IdempotencyRecord, type InProgressRecord } from './state-machine.js';
import type { EncodedResponse } from './stored-response.js';

/** A record's partition key: scope and key, the scope URI-encoded so a '#' in a key cannot forge one. */
export const recordId = (scope: string | undefined, key: IdempotencyKey): string => `${encodeURIComponent(scope ?? '')}#${key}`;

/** DynamoDB's limit on one TransactWriteItems; the record itself takes one slot. */
export const maxBusinessWrites = 99;

/** What an invocation holds after a successful claim: the fencing token proves it. */
export interface Claim {
  readonly pk: string;
  readonly token: string;
  readonly fingerprint: string;
  readonly expiresAt: number;
}

export type ClaimResult =
  { readonly kind: 'claimed'; readonly claim: Claim } | { readonly kind: 'taken'; readonly record: IdempotencyRecord | undefined };

export type CommitResult =
  | { readonly kind: 'committed' }
  /** Another invocation holds the key now (this one's lease ran out); nothing was written. */
  | { readonly kind: 'claim-lost'; readonly record: IdempotencyRecord | undefined }
  /** A business write's own condition failed; nothing was written. */
  | { readonly kind: 'write-rejected'; readonly index: number; readonly item: Record<string, unknown> | undefined };

const oldItem = (item: Record<string, AttributeValue> | undefined): IdempotencyRecord | undefined =>
  item === undefined ? undefined : (unmarshall(item) as IdempotencyRecord);

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

/**
 * Where records live: a table keyed by `pk` (Retrysafe's idempotency table), or a service's own
 * table with a sort key, where every record takes the same sort key value beside the service's
 * other items (the sandbox processor's table).
 */
export interface RecordTable {
  readonly name: () => string;
  readonly sortKey?: { readonly attribute: string; readonly value: string };
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

  private tableName(): string {
    return this.table.name();
  }

  private key(pk: string): Record<string, string> {
    const { sortKey } = this.table;
    return sortKey === undefined ? { pk } : { pk, [sortKey.attribute]: sortKey.value };
  }

  async claim(input: {
    pk: string;
    fingerprint: string;
    token: string;
    nowMs: number;
    leaseUntil: number;
    expiresAt: number;
  }): Promise<ClaimResult> {
    const record: InProgressRecord = {
      pk: input.pk,
      status: 'IN_PROGRESS',
      fingerprint: input.fingerprint,
      token: input.token,
      claimedAt: input.nowMs,
      leaseUntil: input.leaseUntil,
      expiresAt: input.expiresAt,
    };
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName(),
          Item: { ...record, ...this.key(input.pk) },
          ConditionExpression: claimCondition.expression,
          ExpressionAttributeNames: claimCondition.names,
          ExpressionAttributeValues: claimCondition.values(input.nowMs, input.fingerprint),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { kind: 'claimed', claim: { pk: input.pk, token: input.token, fingerprint: input.fingerprint, expiresAt: input.expiresAt } };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { kind: 'taken', record: oldItem(error.Item) };
      throw error;
    }
  }

  /** Completes a claim with nothing else to write: one conditional UpdateItem. */
  async complete(claim: Claim, response: EncodedResponse, nowMs: number): Promise<CommitResult> {
    try {
      await this.client.send(new UpdateCommand(this.completion(claim, response, nowMs)));
      return { kind: 'committed' };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { kind: 'claim-lost', record: oldItem(error.Item) };
      throw error;
    }
  }

  /**
   * Commits business writes and, when a claim is held, its completion in one TransactWriteItems:
   * either the side effects and the COMPLETED record both exist, or neither does. Transaction
   * conflicts (another transaction touching the same item) leave nothing written and are retried.
   */
  async commit(
    claim: Claim | undefined,
    writes: readonly TransactItem[],
    response: EncodedResponse | undefined,
    nowMs: number,
  ): Promise<CommitResult> {
    if (writes.length > maxBusinessWrites) throw new Error(`At most ${maxBusinessWrites} writes can commit with an idempotency record`);
    const completion = claim === undefined || response === undefined ? [] : [{ Update: this.completion(claim, response, nowMs) }];
    const items = [...writes.map(withOldItemOnFailure), ...completion];
    if (items.length === 0) return { kind: 'committed' };
    for (let attempt = 0; ; attempt++) {
      try {
        await this.client.send(new TransactWriteCommand({ TransactItems: items }));
        return { kind: 'committed' };
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        if (isConflictOnly(error) && attempt < transactionConflictRetries) {
          await backoff(attempt);
          continue;
        }
        const reasons = error.CancellationReasons ?? [];
        const recordReason = completion.length > 0 ? reasons[writes.length] : undefined;
        if (recordReason?.Code === 'ConditionalCheckFailed') return { kind: 'claim-lost', record: oldItem(recordReason.Item) };
        const index = reasons.findIndex((reason) => reason.Code === 'ConditionalCheckFailed');
        if (index === -1) throw error;
        const item = reasons[index]?.Item;
        return { kind: 'write-rejected', index, item: item === undefined ? undefined : unmarshall(item) };
      }
    }
  }

  /** Gives the key back so a retry re-executes; a no-op when this invocation no longer holds it. */
  async release(claim: Claim): Promise<boolean> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName(),
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

  /** A strongly consistent read, for callers that wait on another executor. */
  async read(pk: string): Promise<IdempotencyRecord | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName(), Key: this.key(pk), ConsistentRead: true }));
    return result.Item as IdempotencyRecord | undefined;
  }

  private completion(claim: Claim, response: EncodedResponse, nowMs: number) {
    const [attribute, value] = 'responseGzip' in response ? ['responseGzip', response.responseGzip] : ['response', response.response];
    return {
      TableName: this.tableName(),
      Key: this.key(claim.pk),
      UpdateExpression: 'SET #status = :completed, #stored = :stored, completedAt = :nowMs REMOVE leaseUntil',
      ConditionExpression: holderCondition.expression,
      ExpressionAttributeNames: { ...holderCondition.names, '#stored': attribute },
      ExpressionAttributeValues: {
        ...holderCondition.values(claim.token),
        ':completed': 'COMPLETED' satisfies CompletedRecord['status'],
        ':stored': value,
        ':nowMs': nowMs,
      },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    };
  }
}
