/**
 * The record table's layout, what the engine's requests (store.ts) assume: records keyed by a
 * string `pk`, DynamoDB's TTL on `expiresAt` (epoch seconds), and, for recovery points only, a
 * sparse index over `recoveryShard` and `recoverAt`. The CDK construct (cdk.ts) builds it; a
 * table made another way needs the same.
 */
export const idempotencyTableLayout = {
  partitionKey: { name: 'pk', type: 'S' },
  ttlAttribute: 'expiresAt',
  recoveryIndex: {
    indexName: 'recovery',
    partitionKey: { name: 'recoveryShard', type: 'S' },
    sortKey: { name: 'recoverAt', type: 'N' },
  },
} as const;
