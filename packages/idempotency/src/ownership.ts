import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Keys across regions. A records table replicated with last-writer-wins (a DynamoDB MREC global
 * table) lets two regions both claim one key: each conditional put passes against its own
 * replica, and the request executes twice. So before the regional claim, a key is given an
 * owner region in a table whose conditional writes hold across regions (an MRSC global table),
 * and only the owner ever claims it. Every other region answers from its replica of the records
 * table: a completed record is replayed (only the owner writes it, and it never changes again);
 * anything else is "in use" until the owner's answer has replicated.
 *
 * The owners table needs no TTL, transaction or index, which is all MRSC lacks: an owner's
 * expiry is an attribute the claim's condition compares, and expired owners are taken over.
 */
export type Ownership =
  | { readonly kind: 'here' }
  | { readonly kind: 'elsewhere'; readonly owner: string }
  /** Regions kept racing for the key; the client comes back, and one of them owns it by then. */
  | { readonly kind: 'contended' };

export interface KeyOwnership {
  /**
   * Makes this region the key's owner unless another region owns it and its ownership has not
   * expired; `recordId` is the record's partition key (store.ts recordId).
   */
  claim(recordId: string, nowMs: number, expiresAtSeconds: number): Promise<Ownership>;
}

export interface DynamoDbKeyOwnershipOptions {
  readonly client: DynamoDBDocumentClient;
  /** The owners table (partition key `pk`), or a function read per request. */
  readonly tableName: string | (() => string);
  /** This region's name, e.g. the Lambda environment's AWS_REGION. */
  readonly region: string;
}

/** DynamoDB's answer when another region is writing the same MRSC item at that moment; retryable. */
const replicatedWriteConflict = 'ReplicatedWriteConflictException';

/** Conflicts are two regions racing for one new key: they settle within a few cross-region round trips. */
const conflictRetries = 4;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Key owners in an MRSC table: one conditional PutItem per claim, answered with the owner it failed on. */
export class DynamoDbKeyOwnership implements KeyOwnership {
  private readonly tableName: () => string;

  constructor(private readonly options: DynamoDbKeyOwnershipOptions) {
    const { tableName } = options;
    this.tableName = typeof tableName === 'function' ? tableName : () => tableName;
  }

  async claim(recordId: string, nowMs: number, expiresAtSeconds: number): Promise<Ownership> {
    const { region } = this.options;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.options.client.send(
          new PutCommand({
            TableName: this.tableName(),
            Item: { pk: recordId, region, claimedAt: nowMs, expiresAt: expiresAtSeconds },
            // The owner re-claims its own key (a retry, the completer) and pushes its expiry on.
            ConditionExpression: 'attribute_not_exists(pk) OR #region = :region OR expiresAt <= :nowSeconds',
            ExpressionAttributeNames: { '#region': 'region' },
            ExpressionAttributeValues: { ':region': region, ':nowSeconds': Math.floor(nowMs / 1000) },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { kind: 'here' };
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) {
          const owner = error.Item?.region?.S;
          if (owner === undefined) throw new Error(`Key owner record ${recordId} names no region`, { cause: error });
          return { kind: 'elsewhere', owner };
        }
        if (!(error instanceof Error) || error.name !== replicatedWriteConflict) throw error;
        if (attempt >= conflictRetries) return { kind: 'contended' };
        await sleep(Math.random() * 25 * 2 ** attempt);
      }
    }
  }
}
