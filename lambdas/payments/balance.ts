import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { queryAll, type TransactItem } from '../shared/dynamodb.js';
import type { AccountId } from '../shared/ids.js';
import type { Currency } from './money.js';
import { balanceSortKey, type BalanceItem } from './records.js';
import { accountPartition } from '../shared/account-partition.js';

/**
 * Balances are kept in a few shards per currency. Every charge and refund updates the balance
 * inside its transaction, and DynamoDB cancels concurrent transactions that touch the same item
 * (TransactionConflict); spreading one merchant's balance over shards lets their concurrent
 * charges commit side by side. Reading sums the shards, in one Query.
 */
export const balanceShards = 8;

const shardKey = (currency: Currency, shard: number): string => `${balanceSortKey(currency)}#${shard}`;

/** Adds a (possibly negative) amount to one shard of the balance; ADD creates the shard at 0. */
export const balanceAdd = (table: string, tenant: AccountId, currency: Currency, amount: number): TransactItem => ({
  Update: {
    TableName: table,
    Key: { pk: accountPartition(tenant), sk: shardKey(currency, Math.floor(Math.random() * balanceShards)) },
    UpdateExpression: 'ADD available :amount SET currency = :currency',
    ExpressionAttributeValues: { ':amount': amount, ':currency': currency },
  },
});

export interface Balance {
  object: 'balance';
  available: { currency: Currency; amount: number }[];
}

export const readBalance = async (client: DynamoDBDocumentClient, table: string, tenant: AccountId): Promise<Balance> => {
  const totals = new Map<Currency, number>();
  const shards = await queryAll<BalanceItem>(client, {
    TableName: table,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': accountPartition(tenant), ':prefix': 'BAL#' },
    ConsistentRead: true,
  });
  for (const shard of shards) totals.set(shard.currency, (totals.get(shard.currency) ?? 0) + shard.available);
  return {
    object: 'balance',
    available: [...totals].sort(([a], [b]) => a.localeCompare(b)).map(([currency, amount]) => ({ currency, amount })),
  };
};
