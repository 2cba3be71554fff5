import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand, type UpdateCommandOutput } from '@aws-sdk/lib-dynamodb';
import { bucketAttributes as a, bucketFromDocument, bucketFromWire, type StoredBucket } from './bucket-item.js';
import type { BucketTiming } from './gcra.js';

export type WriteBranch = 'idle' | 'busy';

export type WriteResult =
  | { readonly kind: 'written'; readonly bucket: StoredBucket }
  /** The item was not in the state the branch assumed; `current` is what it holds instead. */
  | { readonly kind: 'condition-failed'; readonly current: StoredBucket | undefined };

/**
 * The two GCRA branches as single conditional UpdateItems. The default T and G are passed as
 * values and used only where the item carries no override of its own (if_not_exists), so the
 * same write serves tenants with and without overrides. Both branches return the whole item on
 * success and on a failed condition, which is all the caller needs to answer or to retry.
 */
const expressions: Record<WriteBranch, { update: string; condition: string }> = {
  idle: {
    update:
      `SET ${a.tat} = :now + if_not_exists(${a.interval}, :interval), ` +
      `${a.gate} = :now + if_not_exists(${a.gateOffset}, :gateOffset), ` +
      `${a.expiresAt} = if_not_exists(${a.pinnedExpiresAt}, :expiresAt)`,
    condition: `attribute_not_exists(${a.tat}) OR ${a.tat} <= :now`,
  },
  busy: {
    update:
      `SET ${a.tat} = ${a.tat} + if_not_exists(${a.interval}, :interval), ` +
      `${a.gate} = ${a.gate} + if_not_exists(${a.interval}, :interval), ` +
      `${a.expiresAt} = if_not_exists(${a.pinnedExpiresAt}, :expiresAt)`,
    condition: `${a.tat} > :now AND ${a.gate} <= :now`,
  },
};

/**
 * The bucket table did not answer: DynamoDB failed the call, the network did, or the call
 * outlasted its timeout. The one error the limiter answers with its fail mode; the original is
 * the cause.
 */
export class StoreUnavailableError extends Error {
  constructor(key: string, cause: unknown) {
    super(`The rate limit store did not answer the write on ${key}`, { cause });
    this.name = 'RateLimitStoreUnavailableError';
  }
}

export interface BucketWrite {
  readonly key: string;
  readonly branch: WriteBranch;
  readonly nowUs: number;
  /** This shard's timing under the default policy. */
  readonly defaults: BucketTiming;
  /** TTL for an item without an override: when the bucket is certainly full again. */
  readonly expiresAt: number;
}

export class BucketStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: () => string,
    /** A hung store must not hold the request: past this the fail mode decides. */
    private readonly timeoutMs: number,
  ) {}

  async write(write: BucketWrite): Promise<WriteResult> {
    const { update, condition } = expressions[write.branch];
    const values: Record<string, number> = {
      ':now': write.nowUs,
      ':interval': write.defaults.intervalUs,
      ':expiresAt': write.expiresAt,
    };
    if (write.branch === 'idle') values[':gateOffset'] = write.defaults.gateOffsetUs;
    let result: UpdateCommandOutput;
    try {
      result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName(),
          Key: { pk: write.key },
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
        { abortSignal: AbortSignal.timeout(this.timeoutMs) },
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { kind: 'condition-failed', current: bucketFromWire(error.Item) };
      // The line between the store failing and the limiter failing: whatever the call rejects
      // with (a service error, a network error, the timeout's abort) is the store's; whatever
      // goes wrong with an answer it did give is a bug, and is not wrapped.
      throw new StoreUnavailableError(write.key, error);
    }
    const bucket = bucketFromDocument(result.Attributes);
    if (bucket === undefined) throw new Error(`UpdateItem on ${write.key} returned no bucket state`);
    return { kind: 'written', bucket };
  }
}
