import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../shared/dynamodb.js';
import { tableName } from '../shared/env.js';
import type { ProcessorCharge, ProcessorIdempotencyKey } from './charge.js';

/**
 * Two items per charge, written in one transaction:
 *
 *   pk = KEY#<idempotency key>  sk = KEY          the key guard: fingerprint + charge
 *   pk = CHARGES                sk = <charge id>  the time-ordered listing entry
 *
 * The guard is put with attribute_not_exists(pk), so one key can only ever own one charge,
 * and the listing entry commits with it or not at all. Ids are ULIDs, so the listing
 * partition is sorted by creation time and "since T" is a key range read by one Query.
 * One listing partition caps the sandbox near 500 charges/s (1,000 WCU per partition, two per
 * transactional write); a sandbox never gets close, and a single partition keeps listing a
 * plain paginated Query instead of a merge across shards. Guards never expire: unlike Stripe's
 * 24-hour keys, a retry days later still cannot charge twice.
 */
export interface StoredCharge {
  /** SHA-256 of the request parameters, to tell a replay from a reused key. */
  readonly fingerprint: string;
  readonly charge: ProcessorCharge;
}

export type InsertResult =
  | { readonly kind: 'inserted' }
  /** Another request holds the key; read it and replay. */
  | { readonly kind: 'key-taken' }
  /** A concurrent transaction on the same key was still committing; try again shortly. */
  | { readonly kind: 'contended' };

export interface ListQuery {
  /** Lower bound on the charge id: exclusive after a cursor, inclusive for `since`. */
  readonly from: string;
  readonly inclusive: boolean;
  readonly limit: number;
}

export interface ChargePage {
  readonly charges: readonly ProcessorCharge[];
  readonly hasMore: boolean;
}

export interface ChargeStore {
  findByKey(key: ProcessorIdempotencyKey): Promise<StoredCharge | undefined>;
  insert(stored: StoredCharge): Promise<InsertResult>;
  list(query: ListQuery): Promise<ChargePage>;
}

const guardKey = (key: ProcessorIdempotencyKey) => ({ pk: `KEY#${key}`, sk: 'KEY' });
const listingPartition = 'CHARGES';

/** `client` defaults to the shared client, resolved per call so the endpoint is read after set-up. */
export const dynamoChargeStore = (client?: DynamoDBDocumentClient): ChargeStore => {
  const documentClient = () => client ?? dynamo();
  return {
    findByKey: async (key) => {
      const { Item } = await documentClient().send(
        new GetCommand({ TableName: tableName('processor'), Key: guardKey(key), ConsistentRead: true }),
      );
      return Item === undefined ? undefined : { fingerprint: Item.fingerprint as string, charge: Item.charge as ProcessorCharge };
    },

    insert: async ({ fingerprint, charge }) => {
      const table = tableName('processor');
      try {
        await documentClient().send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: table,
                  Item: { ...guardKey(charge.idempotency_key), fingerprint, charge },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              { Put: { TableName: table, Item: { pk: listingPartition, sk: charge.id, charge } } },
            ],
          }),
        );
        return { kind: 'inserted' };
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const codes = (error.CancellationReasons ?? []).map((reason) => reason.Code);
        if (codes[0] === 'ConditionalCheckFailed') return { kind: 'key-taken' };
        if (codes.includes('TransactionConflict')) return { kind: 'contended' };
        throw error;
      }
    },

    list: async ({ from, inclusive, limit }) => {
      const charges: ProcessorCharge[] = [];
      let startKey: Record<string, unknown> | undefined;
      // One item beyond the page tells whether there is more, without a second round trip.
      do {
        const page = await documentClient().send(
          new QueryCommand({
            TableName: tableName('processor'),
            KeyConditionExpression: `pk = :pk AND sk ${inclusive ? '>=' : '>'} :from`,
            ExpressionAttributeValues: { ':pk': listingPartition, ':from': from },
            Limit: limit + 1 - charges.length,
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) charges.push(item.charge as ProcessorCharge);
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined && charges.length <= limit);
      return { charges: charges.slice(0, limit), hasMore: charges.length > limit };
    },
  };
};
