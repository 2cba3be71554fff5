import { randomBytes } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { generateApiKey, storeApiKey } from '../lambdas/auth/api-keys.js';
import type { BucketPolicy } from '../lambdas/rate-limit/gcra.js';
import { setRateLimitOverride } from '../lambdas/rate-limit/overrides.js';
import type { AccountId } from '../lambdas/shared/ids.js';

export interface LoadTenant {
  readonly account: AccountId;
  readonly apiKey: string;
  /** Created for this run: it has no other charges, so the audits count everything it holds. */
  readonly fresh: boolean;
}

export interface TenantTables {
  readonly apiKeys: string;
  readonly rateLimits: string;
}

/** Far above what a run sends, so the run measures the charge path rather than the limiter. */
export const unlimited: BucketPolicy = { ratePerMinute: 1_000_000, burst: 100_000 };

export const setTenantLimit = (
  client: DynamoDBDocumentClient,
  tables: TenantTables,
  tenant: LoadTenant,
  policy: BucketPolicy,
): Promise<void> => setRateLimitOverride({ client, tableName: tables.rateLimits, tenant: tenant.account }, policy);

/** A new account with its own API key and rate limit, straight into the tables the API reads. */
export const createFreshTenant = async (
  client: DynamoDBDocumentClient,
  tables: TenantTables,
  policy: BucketPolicy,
): Promise<LoadTenant> => {
  const tenant: LoadTenant = {
    account: `acct_load_${Date.now().toString(36)}${randomBytes(3).toString('hex')}` as AccountId,
    apiKey: generateApiKey(),
    fresh: true,
  };
  await storeApiKey(client, tables.apiKeys, tenant.apiKey, tenant.account);
  await setTenantLimit(client, tables, tenant, policy);
  return tenant;
};
