import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { TransactItem } from '@retrysafe/idempotency';

/**
 * One client per process, created lazily so the endpoint (AWS_ENDPOINT_URL_DYNAMODB locally)
 * is read after the environment is set up. Retries stay with the SDK's standard strategy: it
 * absorbs throttling with exponential backoff and jitter.
 */
let documentClient: DynamoDBDocumentClient | undefined;

export const dynamo = (): DynamoDBDocumentClient => {
  documentClient ??= createDocumentClient(new DynamoDBClient({ maxAttempts: 5 }));
  return documentClient;
};

/** How every document client of the project turns JavaScript values into DynamoDB attributes. */
export const marshallOptions = { removeUndefinedValues: true, convertClassInstanceToMap: false } as const;

export const createDocumentClient = (client: DynamoDBClient): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(client, { marshallOptions, unmarshallOptions: { wrapNumbers: false } });

/**
 * Throws when the document client could not send these writes, because a value has no
 * DynamoDB form: found before money moves rather than at a commit that then fails forever.
 */
export const assertMarshallable = (writes: readonly TransactItem[]): void => {
  for (const write of writes) {
    for (const operation of Object.values(write) as (Record<string, unknown> | undefined)[]) {
      for (const part of ['Item', 'Key', 'ExpressionAttributeValues'] as const) {
        const value = operation?.[part];
        if (value !== undefined) marshall(value as Record<string, unknown>, marshallOptions);
      }
    }
  }
};

/** One write of a TransactWriteItems, as the idempotency engine commits it with a record. */
export type { TransactItem };

/** Every item a query matches, following LastEvaluatedKey across pages. */
export const queryAll = async <T>(client: DynamoDBDocumentClient, input: Omit<QueryCommandInput, 'ExclusiveStartKey'>): Promise<T[]> => {
  const items: T[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
    items.push(...((page.Items ?? []) as T[]));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return items;
};
