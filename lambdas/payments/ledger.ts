import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { queryAll, type TransactItem } from '../shared/dynamodb.js';
import type { AccountId, ChargeId, LedgerTransactionId, RefundId } from '../shared/ids.js';
import type { Currency } from './money.js';

/**
 * The double-entry ledger. Each money movement is one ledger transaction of entries whose
 * debits equal their credits per currency. Two accounts per merchant:
 *   processor_receivable  (asset)     money the processor owes us for captured charges
 *   merchant_available    (liability) money we owe the merchant: their available balance
 * A charge debits the receivable and credits the merchant; a refund reverses that.
 *
 * Entries are immutable: this module only ever creates them, each with a condition that it did
 * not exist, and the functions that write the ledger table are granted PutItem only.
 */
export type LedgerAccount = 'processor_receivable' | 'merchant_available';
export type Direction = 'debit' | 'credit';

export interface LedgerEntry {
  pk: string;
  sk: string;
  transactionId: LedgerTransactionId;
  account: LedgerAccount;
  direction: Direction;
  /** Positive, in minor units. */
  amount: number;
  currency: Currency;
  source: { kind: 'charge'; id: ChargeId } | { kind: 'refund'; id: RefundId; charge: ChargeId };
  /** Epoch seconds. */
  created: number;
}

export const ledgerPartition = (account: AccountId): string => `LEDGER#${account}`;

export interface LedgerTransaction {
  readonly id: LedgerTransactionId;
  readonly account: AccountId;
  readonly currency: Currency;
  readonly amount: number;
  readonly source: LedgerEntry['source'];
  readonly created: number;
}

const entries = (transaction: LedgerTransaction, debit: LedgerAccount, credit: LedgerAccount): LedgerEntry[] =>
  (
    [
      [debit, 'debit'],
      [credit, 'credit'],
    ] as const
  ).map(([account, direction]) => ({
    pk: ledgerPartition(transaction.account),
    sk: `${transaction.id}#${direction}`,
    transactionId: transaction.id,
    account,
    direction,
    amount: transaction.amount,
    currency: transaction.currency,
    source: transaction.source,
    created: transaction.created,
  }));

/** A captured charge: the processor owes us, we owe the merchant. */
export const chargeEntries = (transaction: LedgerTransaction): LedgerEntry[] =>
  entries(transaction, 'processor_receivable', 'merchant_available');

/** A refund: the merchant's balance pays the customer back through the processor. */
export const refundEntries = (transaction: LedgerTransaction): LedgerEntry[] =>
  entries(transaction, 'merchant_available', 'processor_receivable');

export const ledgerPuts = (table: string, ledgerEntries: readonly LedgerEntry[]): TransactItem[] =>
  ledgerEntries.map((entry) => ({ Put: { TableName: table, Item: entry, ConditionExpression: 'attribute_not_exists(pk)' } }));

/** The merchant's balance per currency as the entries say: credits minus debits of merchant_available. */
export const merchantBalances = (ledgerEntries: readonly LedgerEntry[]): Map<Currency, number> => {
  const balances = new Map<Currency, number>();
  for (const entry of ledgerEntries) {
    if (entry.account !== 'merchant_available') continue;
    const signed = entry.direction === 'credit' ? entry.amount : -entry.amount;
    balances.set(entry.currency, (balances.get(entry.currency) ?? 0) + signed);
  }
  return balances;
};

/**
 * Every entry of an account's ledger, for audits (tests, the load test, an operator): no
 * function of the deployed stack is granted this read.
 */
export const readLedgerEntries = (client: DynamoDBDocumentClient, table: string, account: AccountId): Promise<LedgerEntry[]> =>
  queryAll<LedgerEntry>(client, {
    TableName: table,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': ledgerPartition(account) },
    ConsistentRead: true,
  });
