import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { TransactItem } from '../shared/dynamodb.js';
import type { ProcessorCharge } from './charge.js';

/**
 * The processor table holds two kinds of items:
 *
 *   pk = #<idempotency key>  sk = KEY         the key's idempotency record (lambdas/idempotency)
 *   pk = CHARGES             sk = <charge id> the time-ordered listing entry
 *
 * The listing entry is committed in the same transaction that completes the key's record, so
 * one key can only ever own one charge and a charge never exists without its key. Ids are
 * ULIDs, so the listing partition is sorted by creation time and "since T" is a key range read
 * by one Query. One listing partition caps the sandbox near 500 charges/s (1,000 WCU per
 * partition, two per transactional write); a sandbox never gets close, and a single partition
 * keeps listing a plain paginated Query instead of a merge across shards.
 */
export const sandboxRecordSortKey = { attribute: 'sk', value: 'KEY' } as const;

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
  /** The listing entry of a new charge, committed with the key's record. */
  listingWrite(charge: ProcessorCharge): TransactItem;
  list(query: ListQuery): Promise<ChargePage>;
}

const listingPartition = 'CHARGES';

export const dynamoChargeStore = (client: DynamoDBDocumentClient, table: () => string): ChargeStore => ({
  listingWrite: (charge) => ({
    Put: { TableName: table(), Item: { pk: listingPartition, sk: charge.id, charge }, ConditionExpression: 'attribute_not_exists(pk)' },
  }),

  list: async ({ from, inclusive, limit }) => {
    const charges: ProcessorCharge[] = [];
    let startKey: Record<string, unknown> | undefined;
    // One item beyond the page tells whether there is more, without a second round trip.
    do {
      const page = await client.send(
        new QueryCommand({
          TableName: table(),
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
});
