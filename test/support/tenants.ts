import { randomUUID } from 'node:crypto';
import { storeApiKey } from '../../lambdas/auth/api-keys.js';
import { dynamo } from '../../lambdas/shared/dynamodb.js';
import { tableName } from '../../lambdas/shared/env.js';
import type { AccountId } from '../../lambdas/shared/ids.js';

export interface TestTenant {
  readonly account: AccountId;
  readonly apiKey: string;
  readonly authorization: { Authorization: string };
}

/** A fresh account with its own API key, so tests sharing one DynamoDB Local never meet. */
export const createTenant = async (): Promise<TestTenant> => {
  const account = `acct_${randomUUID().replaceAll('-', '')}` as AccountId;
  const apiKey = `sk_test_${randomUUID()}`;
  await storeApiKey(dynamo(), tableName('apiKeys'), apiKey, account);
  return { account, apiKey, authorization: { Authorization: `Bearer ${apiKey}` } };
};
