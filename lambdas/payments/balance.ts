import type { Currency } from './money.js';
import type { BalanceItem } from './records.js';

/**
 * Balances are kept in a few shards per currency. Every charge and refund updates the balance
 * inside its transaction, and DynamoDB cancels concurrent transactions that touch the same item
 * (TransactionConflict); spreading one merchant's balance over shards lets their concurrent
 * charges commit side by side. Reading sums the shards, in one Query.
 */
export const balanceShards = 8;

/**
 * Any of this region's shards will do: what matters is that concurrent updates rarely pick the
 * same one. Shards belong to the region that writes them (a shard's name starts with it), so
 * when the payments table is replicated across regions with last-writer-wins, no two regions
 * ever add to the same item, and no region's additions are overwritten by another's.
 */
export const anyBalanceShard = (region: string | undefined = process.env.AWS_REGION): string => {
  const shard = Math.floor(Math.random() * balanceShards);
  return region === undefined || region === '' ? String(shard) : `${region}.${shard}`;
};

export interface Balance {
  object: 'balance';
  available: { currency: Currency; amount: number }[];
}

/** The balance the shards add up to, per currency, in currency order. */
export const totalBalance = (shards: readonly BalanceItem[]): Balance => {
  const totals = new Map<Currency, number>();
  for (const shard of shards) totals.set(shard.currency, (totals.get(shard.currency) ?? 0) + shard.available);
  return {
    object: 'balance',
    available: [...totals].sort(([a], [b]) => a.localeCompare(b)).map(([currency, amount]) => ({ currency, amount })),
  };
};
