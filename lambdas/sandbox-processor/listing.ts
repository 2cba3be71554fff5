import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { TransactItem } from '../shared/dynamodb.js';

export interface ListQuery {
  /** Lower bound on the id: exclusive after a cursor, inclusive for `since`. */
  readonly from: string;
  readonly inclusive: boolean;
  readonly limit: number;
}

export interface ListPage<T> {
  readonly objects: readonly T[];
  readonly hasMore: boolean;
}

/** One kind of object in its time-ordered listing partition (see processor-table.ts). */
export interface Listing<T extends { readonly id: string }> {
  /** The entry of a new object, committed with the key's record that created it. */
  put(object: T): TransactItem;
  /** The object as it stands now. */
  get(id: T['id']): Promise<T | undefined>;
  list(query: ListQuery): Promise<ListPage<T>>;
  /** The object an entry holds, e.g. one a rejected transaction returned. */
  objectOf(item: Record<string, unknown> | undefined): T | undefined;
}

export interface ListingPartition {
  /** The partition key value every entry of the kind shares. */
  readonly partition: string;
  /** The attribute that holds the object in its entry. */
  readonly attribute: string;
}

export const dynamoListing = <T extends { readonly id: string }>(
  client: DynamoDBDocumentClient,
  table: () => string,
  { partition, attribute }: ListingPartition,
): Listing<T> => {
  const objectOf = (item: Record<string, unknown> | undefined): T | undefined => item?.[attribute] as T | undefined;
  return {
    put: (object) => ({
      Put: {
        TableName: table(),
        Item: { pk: partition, sk: object.id, [attribute]: object },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    }),

    get: async (id) => {
      const { Item } = await client.send(new GetCommand({ TableName: table(), Key: { pk: partition, sk: id }, ConsistentRead: true }));
      return objectOf(Item);
    },

    list: async ({ from, inclusive, limit }) => {
      const objects: T[] = [];
      let startKey: Record<string, unknown> | undefined;
      // One item beyond the page tells whether there is more, without a second round trip.
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: table(),
            KeyConditionExpression: `pk = :pk AND sk ${inclusive ? '>=' : '>'} :from`,
            ExpressionAttributeValues: { ':pk': partition, ':from': from },
            Limit: limit + 1 - objects.length,
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) objects.push(item[attribute] as T);
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined && objects.length <= limit);
      return { objects: objects.slice(0, limit), hasMore: objects.length > limit };
    },

    objectOf,
  };
};
