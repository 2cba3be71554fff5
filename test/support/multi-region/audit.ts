import type { EventItem } from '../../../lambdas/events/outbox.js';
import { totalBalance, type Balance } from '../../../lambdas/payments/balance.js';
import { sortKeyPrefixes, type BalanceItem, type ChargeItem } from '../../../lambdas/payments/records.js';
import type { ProcessorCharge } from '../../../lambdas/sandbox-processor/charge.js';
import { chargeKind } from '../../../lambdas/sandbox-processor/processor-table.js';
import { accountPartition } from '../../../lambdas/shared/account-partition.js';
import { queryAll } from '../../../lambdas/shared/dynamodb.js';
import type { AccountId } from '../../../lambdas/shared/ids.js';
import type { RegionStore } from './regions.js';

/**
 * What one region's tables hold, read directly and consistently: after the replicator drained,
 * two stores of the eventual model should say the same about every replicated table.
 */

/** The charges the region's processor made (its listing partition), each naming the idempotency key it ran under. */
export const processorCharges = (store: RegionStore): Promise<ProcessorCharge[]> =>
  queryAll<{ charge: ProcessorCharge }>(store.documents, {
    TableName: store.tableName('processor'),
    KeyConditionExpression: 'pk = :partition',
    ExpressionAttributeValues: { ':partition': chargeKind.partition },
    ConsistentRead: true,
  }).then((items) => items.map((item) => item.charge));

/** How many charges the processor made under each idempotency key (Retrysafe's downstream key). */
export const processorChargesByKey = (charges: readonly ProcessorCharge[]): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const charge of charges) counts.set(charge.idempotency_key, (counts.get(charge.idempotency_key) ?? 0) + 1);
  return counts;
};

const accountItems = <T>(store: RegionStore, table: 'payments' | 'events', account: AccountId, prefix: string): Promise<T[]> =>
  queryAll<T>(store.documents, {
    TableName: store.tableName(table),
    KeyConditionExpression: 'pk = :partition AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':partition': accountPartition(account), ':prefix': prefix },
    ConsistentRead: true,
  });

/** Retrysafe's charge records of the account. */
export const retrysafeCharges = (store: RegionStore, account: AccountId): Promise<ChargeItem[]> =>
  accountItems<ChargeItem>(store, 'payments', account, sortKeyPrefixes.charge);

/** The account's outbox events. */
export const outboxEvents = (store: RegionStore, account: AccountId): Promise<EventItem[]> =>
  accountItems<EventItem>(store, 'events', account, 'EVT#');

/** The account's balance as its shards add up. */
export const balance = async (store: RegionStore, account: AccountId): Promise<Balance> =>
  totalBalance(await accountItems<BalanceItem>(store, 'payments', account, sortKeyPrefixes.balance));
