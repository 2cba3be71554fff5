import { createHash, randomBytes } from 'node:crypto';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AccountId, Brand } from '../shared/ids.js';
import { apiKeysByAccountIndex } from '../topology.js';

/**
 * API keys are stored only as SHA-256 hashes: a leaked table does not leak credentials, and a
 * key is shown once, when it is created. Keys are long random strings, so an unsalted fast hash
 * is enough (there is nothing to brute-force that a slow hash would protect).
 */
export const hashApiKey = (apiKey: string): string => createHash('sha256').update(apiKey, 'utf8').digest('hex');

/** How a key is named where the key itself must not appear: lists, logs, revocation. */
export type ApiKeyId = Brand<string, 'ApiKeyId'>;

/**
 * Derived from the hash, so every key has one (also those stored before ids existed) and the
 * id gives nothing away: 64 bits of a hash of a 192-bit random key.
 */
export const apiKeyIdOf = (keyHash: string): ApiKeyId => `key_${keyHash.slice(0, 16)}` as ApiKeyId;

/** `sk_test_` keys belong to a sandbox (the local stack's processor), `sk_live_` keys move real money. */
export type KeyMode = 'test' | 'live';

export interface ApiKeyRecord {
  keyHash: string;
  accountId: AccountId;
  /** ISO 8601. */
  createdAt: string;
  /** The key's first characters, to recognise it in a list: `sk_live_Ab3x`. */
  hint?: string;
  /** ISO 8601 from when the key no longer authenticates: now for a revocation, the end of the grace period for a rotation. */
  endsAt?: string;
  endedBy?: 'revoked' | 'rotated';
  /** On a rotated key, the key that replaced it. */
  replacedBy?: ApiKeyId;
}

export const generateApiKey = (mode: KeyMode = 'live'): string => `sk_${mode}_${randomBytes(24).toString('base64url')}`;

export const apiKeyHint = (apiKey: string): string => apiKey.slice(0, 12);

const recordFor = (apiKey: string, accountId: AccountId, now: Date): ApiKeyRecord => ({
  keyHash: hashApiKey(apiKey),
  accountId,
  createdAt: now.toISOString(),
  hint: apiKeyHint(apiKey),
});

/** Stores a key for an account; refuses to overwrite an existing key with the same hash. */
export const storeApiKey = async (
  client: DynamoDBDocumentClient,
  table: string,
  apiKey: string,
  accountId: AccountId,
  now: Date = new Date(),
): Promise<void> => {
  await client.send(
    new PutCommand({ TableName: table, Item: recordFor(apiKey, accountId, now), ConditionExpression: 'attribute_not_exists(keyHash)' }),
  );
};

/** An account a presented key authenticates, and until when (epoch ms) when the key is ending. */
export interface ActiveKey {
  readonly account: AccountId;
  readonly endsAtMs: number | undefined;
}

const endsAtMs = (record: ApiKeyRecord): number | undefined => (record.endsAt === undefined ? undefined : Date.parse(record.endsAt));

/** The key's account while the key authenticates: not revoked, not past a rotation's grace period. */
export const findActiveKey = async (
  client: DynamoDBDocumentClient,
  table: string,
  apiKey: string,
  nowMs: number = Date.now(),
): Promise<ActiveKey | undefined> => {
  const record = (await client.send(new GetCommand({ TableName: table, Key: { keyHash: hashApiKey(apiKey) } }))).Item as
    ApiKeyRecord | undefined;
  if (record === undefined) return undefined;
  const ends = endsAtMs(record);
  return ends !== undefined && ends <= nowMs ? undefined : { account: record.accountId, endsAtMs: ends };
};

/** An account's keys through the keys-only index: hashes, never records. */
const keysOfAccount = (table: string, accountId: string, page: { readonly limit?: number; readonly after?: Record<string, unknown> }) =>
  new QueryCommand({
    TableName: table,
    IndexName: apiKeysByAccountIndex.indexName,
    KeyConditionExpression: '#account = :account',
    ExpressionAttributeNames: { '#account': apiKeysByAccountIndex.partitionKey.name },
    ExpressionAttributeValues: { ':account': accountId },
    ...(page.limit === undefined ? {} : { Limit: page.limit }),
    ...(page.after === undefined ? {} : { ExclusiveStartKey: page.after }),
  });

/** The hashes of every key an account has had. */
const keyHashesOf = async (client: DynamoDBDocumentClient, table: string, accountId: AccountId): Promise<string[]> => {
  const hashes: string[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(keysOfAccount(table, accountId, { ...(startKey === undefined ? {} : { after: startKey }) }));
    hashes.push(...(page.Items ?? []).map((item) => String(item.keyHash)));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return hashes;
};

/** Whether any key authenticates the account: accounts exist by their keys. One keys-only item is enough to know. */
export const accountExists = async (client: DynamoDBDocumentClient, table: string, accountId: string): Promise<boolean> => {
  const result = await client.send(keysOfAccount(table, accountId, { limit: 1 }));
  return (result.Items ?? []).length > 0;
};

/** A key as an operator lists it: never the key, never its hash. */
export interface ApiKeySummary {
  readonly id: ApiKeyId;
  readonly hint: string | undefined;
  readonly createdAt: string;
  readonly status: 'active' | 'ending' | 'revoked' | 'expired';
  readonly endsAt: string | undefined;
  readonly replacedBy: ApiKeyId | undefined;
}

const summaryOf = (record: ApiKeyRecord, nowMs: number): ApiKeySummary => {
  const ends = endsAtMs(record);
  const status = ends === undefined ? 'active' : ends > nowMs ? 'ending' : record.endedBy === 'revoked' ? 'revoked' : 'expired';
  return {
    id: apiKeyIdOf(record.keyHash),
    hint: record.hint,
    createdAt: record.createdAt,
    status,
    endsAt: record.endsAt,
    replacedBy: record.replacedBy,
  };
};

const recordsOf = async (client: DynamoDBDocumentClient, table: string, accountId: AccountId): Promise<ApiKeyRecord[]> => {
  const hashes = await keyHashesOf(client, table, accountId);
  const records: ApiKeyRecord[] = [];
  for (let i = 0; i < hashes.length; i += 100) {
    let keys: Record<string, unknown>[] | undefined = hashes.slice(i, i + 100).map((keyHash) => ({ keyHash }));
    while (keys !== undefined && keys.length > 0) {
      const result: BatchGetCommandOutput = await client.send(
        new BatchGetCommand({ RequestItems: { [table]: { Keys: keys, ConsistentRead: true } } }),
      );
      records.push(...((result.Responses?.[table] ?? []) as ApiKeyRecord[]));
      keys = result.UnprocessedKeys?.[table]?.Keys;
    }
  }
  return records;
};

/** Every key of an account, oldest first. */
export const listApiKeys = async (
  client: DynamoDBDocumentClient,
  table: string,
  accountId: AccountId,
  nowMs: number = Date.now(),
): Promise<ApiKeySummary[]> =>
  (await recordsOf(client, table, accountId))
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
    .map((record) => summaryOf(record, nowMs));

/** Why a revocation or rotation changed nothing. */
export type KeyChangeRefusal = 'no-such-key' | 'already-ended';

const findRecord = async (
  client: DynamoDBDocumentClient,
  table: string,
  accountId: AccountId,
  id: ApiKeyId,
): Promise<ApiKeyRecord | undefined> => (await recordsOf(client, table, accountId)).find((record) => apiKeyIdOf(record.keyHash) === id);

/** Conditions a change to a key: it is still the account's, and has not ended (a rotated key in its grace period may still be revoked). */
const stillTheAccounts = (accountId: AccountId) => ({
  ConditionExpression: 'accountId = :account AND (attribute_not_exists(endsAt) OR endedBy = :rotated)',
  ExpressionAttributeValues: { ':account': accountId, ':rotated': 'rotated' },
});

const isConditionFailure = (error: unknown): boolean =>
  error instanceof Error && (error.name === 'ConditionalCheckFailedException' || error.name === 'TransactionCanceledException');

/**
 * Ends a key now. Running Lambdas that resolved it in the last `cacheTtlMs` of authenticate()
 * (60 s) keep accepting it until their cache entry lapses: that is the bound on revocation.
 */
export const revokeApiKey = async (
  client: DynamoDBDocumentClient,
  table: string,
  accountId: AccountId,
  id: ApiKeyId,
  now: Date = new Date(),
): Promise<KeyChangeRefusal | 'revoked'> => {
  const record = await findRecord(client, table, accountId, id);
  if (record === undefined) return 'no-such-key';
  const condition = stillTheAccounts(accountId);
  try {
    await client.send(
      new UpdateCommand({
        TableName: table,
        Key: { keyHash: record.keyHash },
        UpdateExpression: 'SET endsAt = :now, endedBy = :revoked',
        ConditionExpression: condition.ConditionExpression,
        ExpressionAttributeValues: { ...condition.ExpressionAttributeValues, ':now': now.toISOString(), ':revoked': 'revoked' },
      }),
    );
    return 'revoked';
  } catch (error) {
    if (isConditionFailure(error)) return 'already-ended';
    throw error;
  }
};

/**
 * Replaces a key: the new key authenticates at once, the old one until the grace period ends, so
 * a merchant deploys the new key without a moment of 401s. One transaction: never a new key
 * without the old one ending, or the reverse.
 */
export const rotateApiKey = async (
  client: DynamoDBDocumentClient,
  table: string,
  accountId: AccountId,
  id: ApiKeyId,
  options: { readonly graceSeconds: number; readonly mode: KeyMode; readonly now?: Date },
): Promise<
  | { readonly kind: KeyChangeRefusal }
  | { readonly kind: 'rotated'; readonly apiKey: string; readonly id: ApiKeyId; readonly oldKeyEndsAt: string }
> => {
  const record = await findRecord(client, table, accountId, id);
  if (record === undefined || record.endsAt !== undefined) return { kind: record === undefined ? 'no-such-key' : 'already-ended' };
  const now = options.now ?? new Date();
  const apiKey = generateApiKey(options.mode);
  const replacement = recordFor(apiKey, accountId, now);
  const oldKeyEndsAt = new Date(now.getTime() + options.graceSeconds * 1000).toISOString();
  try {
    await client.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: table, Item: replacement, ConditionExpression: 'attribute_not_exists(keyHash)' } },
          {
            Update: {
              TableName: table,
              Key: { keyHash: record.keyHash },
              UpdateExpression: 'SET endsAt = :endsAt, endedBy = :rotated, replacedBy = :replacement',
              ConditionExpression: 'accountId = :account AND attribute_not_exists(endsAt)',
              ExpressionAttributeValues: {
                ':account': accountId,
                ':endsAt': oldKeyEndsAt,
                ':rotated': 'rotated',
                ':replacement': apiKeyIdOf(replacement.keyHash),
              },
            },
          },
        ],
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) return { kind: 'already-ended' };
    throw error;
  }
  return { kind: 'rotated', apiKey, id: apiKeyIdOf(replacement.keyHash), oldKeyEndsAt };
};
