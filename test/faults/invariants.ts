import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import type { IdempotencyKey } from '../../lambdas/idempotency/index.js';
import type { IdempotencyRecord } from '../../lambdas/idempotency/state-machine.js';
import { downstreamKey } from '../../lambdas/payments/key-guard.js';
import { sortKeyPrefixes, type ChargeItem, type KeyGuardItem } from '../../lambdas/payments/records.js';
import { dynamo, queryAll } from '../../lambdas/shared/dynamodb.js';
import { tableName } from '../../lambdas/shared/env.js';
import { json, ledgerBalance, ledgerEntries, processorChargesFor, unbalancedTransactions, type Api } from '../payments/harness.js';
import type { TestTenant } from '../support/tenants.js';
import { accountPartition } from '../../lambdas/shared/account-partition.js';

/**
 * What must hold after any fault, for one tenant and the keys it used: at most one charge per
 * key here and at the processor, a balanced ledger equal to the balance endpoint, and no key
 * stuck IN_PROGRESS past its lease.
 */
export const assertPaymentInvariants = async (options: {
  api: Api;
  tenant: TestTenant;
  keys: readonly string[];
  processorUrl: string;
  since: number;
  now?: number;
}): Promise<void> => {
  const { tenant } = options;
  const partition = accountPartition(tenant.account);
  const charges = await queryAll<ChargeItem>(dynamo(), {
    TableName: tableName('payments'),
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': partition, ':prefix': sortKeyPrefixes.charge },
    ConsistentRead: true,
  });
  const guards = await queryAll<KeyGuardItem>(dynamo(), {
    TableName: tableName('payments'),
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': partition, ':prefix': sortKeyPrefixes.keyGuard },
    ConsistentRead: true,
  });
  // Every charge was created by exactly one key, and no key created two.
  expect(guards.filter((guard) => guard.resource.kind === 'charge')).toHaveLength(charges.length);
  expect(new Set(guards.map((guard) => guard.sk)).size).toBe(guards.length);

  for (const key of options.keys) {
    const atProcessor = await processorChargesFor(
      options.processorUrl,
      downstreamKey(tenant.account, key as IdempotencyKey),
      options.since,
    );
    expect(atProcessor, `processor charges for ${key}`).toBeLessThanOrEqual(1);
  }

  const entries = await ledgerEntries(tenant.account);
  expect(unbalancedTransactions(entries)).toEqual([]);
  const balance = json<{ available: { currency: string; amount: number }[] }>(await options.api.get('/v1/balance', tenant));
  expect(Object.fromEntries(balance.available.map(({ currency, amount }) => [currency, amount]))).toEqual(
    await ledgerBalance(tenant.account),
  );

  const nowMs = options.now ?? Date.now();
  const { Items } = await dynamo().send(
    new ScanCommand({
      TableName: tableName('idempotency'),
      FilterExpression: 'begins_with(pk, :prefix) AND #status = :inProgress',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':prefix': `${tenant.account}#`, ':inProgress': 'IN_PROGRESS' },
      ConsistentRead: true,
    }),
  );
  const stuck = ((Items ?? []) as IdempotencyRecord[]).filter((record) => record.status === 'IN_PROGRESS' && record.leaseUntil <= nowMs);
  expect(stuck, 'keys still IN_PROGRESS after their lease').toEqual([]);
};
