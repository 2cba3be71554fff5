import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { apiKeyHint, hashApiKey, type ApiKeyRecord } from '../lambdas/auth/api-keys.js';
import type { AccountId } from '../lambdas/shared/ids.js';

/** Two tenants to try things with, and to show that one never sees the other's data. */
export const demoTenants = [
  { accountId: 'acct_demo' as AccountId, apiKey: 'sk_test_demo' },
  { accountId: 'acct_other' as AccountId, apiKey: 'sk_test_other' },
] as const;

export const seedDemoTenants = async (client: DynamoDBDocumentClient, apiKeysTable: string): Promise<void> => {
  for (const tenant of demoTenants) {
    const record: ApiKeyRecord = {
      keyHash: hashApiKey(tenant.apiKey),
      accountId: tenant.accountId,
      createdAt: new Date(0).toISOString(),
      hint: apiKeyHint(tenant.apiKey),
    };
    await client.send(new PutCommand({ TableName: apiKeysTable, Item: record }));
  }
};
