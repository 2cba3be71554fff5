import { createHash, randomBytes } from 'node:crypto';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AccountId } from '../shared/ids.js';
import { apiKeysByAccountIndex } from '../topology.js';

/**
 * API keys are stored only as SHA-256 hashes: a leaked table does not leak credentials, and a
 * key is shown once, when it is created. Keys are long random strings, so an unsalted fast hash
 * is enough (there is nothing to brute-force that a slow hash would protect).
 */
export const hashApiKey = (apiKey: string): string => createHash('sha256').update(apiKey, 'utf8').digest('hex');

export interface ApiKeyRecord {
  keyHash: string;
  accountId: AccountId;
  createdAt: string;
}

export const generateApiKey = (): string => `sk_live_${randomBytes(24).toString('base64url')}`;

/** Stores a key for an account; refuses to overwrite an existing key with the same hash. */
export const storeApiKey = async (
  client: DynamoDBDocumentClient,
  table: string,
  apiKey: string,
  accountId: AccountId,
  now: Date = new Date(),
): Promise<void> => {
  const record: ApiKeyRecord = { keyHash: hashApiKey(apiKey), accountId, createdAt: now.toISOString() };
  await client.send(new PutCommand({ TableName: table, Item: record, ConditionExpression: 'attribute_not_exists(keyHash)' }));
};

export const findAccountByKey = async (client: DynamoDBDocumentClient, table: string, apiKey: string): Promise<AccountId | undefined> => {
  const result = await client.send(new GetCommand({ TableName: table, Key: { keyHash: hashApiKey(apiKey) } }));
  return (result.Item as ApiKeyRecord | undefined)?.accountId;
};

/** Whether any key authenticates the account: accounts exist by their keys. One keys-only item is enough to know. */
export const accountExists = async (client: DynamoDBDocumentClient, table: string, accountId: string): Promise<boolean> => {
  const result = await client.send(
    new QueryCommand({
      TableName: table,
      IndexName: apiKeysByAccountIndex.indexName,
      KeyConditionExpression: '#account = :account',
      ExpressionAttributeNames: { '#account': apiKeysByAccountIndex.partitionKey.name },
      ExpressionAttributeValues: { ':account': accountId },
      Limit: 1,
    }),
  );
  return (result.Items ?? []).length > 0;
};
