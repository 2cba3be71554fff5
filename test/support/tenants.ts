import { randomUUID } from 'node:crypto';
import { storeApiKey } from '../../lambdas/auth/api-keys.js';
import { dynamo } from '../../lambdas/shared/dynamodb.js';
import { tableName } from '../../lambdas/shared/env.js';
import type { AccountId } from '../../lambdas/shared/ids.js';
import { setRateLimitOverride } from '../../lambdas/rate-limit/overrides.js';

export interface TestTenant {
  readonly account: AccountId;
  readonly apiKey: string;
  readonly authorization: { Authorization: string };
}

/**
 * A fresh account with its own API key, so tests sharing one DynamoDB Local never meet. Its rate
 * limit is raised far above anything a test sends unless the test asks for a specific one.
 */
export const createTenant = async (rateLimit = { ratePerMinute: 1_000_000, burst: 100_000 }): Promise<TestTenant> => {
  const account = `acct_${randomUUID().replaceAll('-', '')}` as AccountId;
  const apiKey = `sk_test_${randomUUID()}`;
  await storeApiKey(dynamo(), tableName('apiKeys'), apiKey, account);
  await setRateLimitOverride({ client: dynamo(), tableName: tableName('rateLimits'), tenant: account }, rateLimit);
  return { account, apiKey, authorization: { Authorization: `Bearer ${apiKey}` } };
};
