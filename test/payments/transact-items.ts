import type { AtomicCommit } from '@retrysafe/idempotency';
import type { RetrysafeEvent } from '../../lambdas/events/outbox.js';
import type { Decision } from '../../lambdas/payments/decision.js';
import type { LedgerEntry } from '../../lambdas/payments/ledger.js';
import { sortKeyPrefixes } from '../../lambdas/payments/records.js';
import type { TransactItem } from '../../lambdas/shared/dynamodb.js';
import { tables } from './fixtures.js';

/** Reading a decision's writes back, for unit tests that never send them. */

export const commitOf = (decision: Decision): AtomicCommit => {
  if (decision.kind !== 'commit') throw new Error(`Expected writes, got an answer: ${decision.response.body}`);
  return decision.commit;
};

export const writesOf = (decision: Decision): readonly TransactItem[] => commitOf(decision).writes;

type Put = NonNullable<TransactItem['Put']>;
type Update = NonNullable<TransactItem['Update']>;

const isPaymentsItem = (table: string | undefined, sk: unknown, prefix: string): boolean =>
  table === tables.payments && typeof sk === 'string' && sk.startsWith(prefix);

/** What one write does, in words: the assertions then read like the list of writes a flow commits. */
export const describeWrite = (write: TransactItem): string => {
  if (write.Put !== undefined) {
    const { TableName, Item } = write.Put;
    if (TableName === tables.ledger) {
      const entry = Item as LedgerEntry;
      return `ledger ${entry.direction} ${entry.account}`;
    }
    if (TableName === tables.events) return `event ${(Item as { event: RetrysafeEvent }).event.type}`;
    const sk: unknown = Item?.sk;
    if (isPaymentsItem(TableName, sk, sortKeyPrefixes.charge)) return 'charge';
    if (isPaymentsItem(TableName, sk, sortKeyPrefixes.refund)) return 'refund';
    if (isPaymentsItem(TableName, sk, sortKeyPrefixes.keyGuard)) return 'key guard';
  }
  if (write.Update !== undefined) {
    const { TableName, Key } = write.Update;
    if (isPaymentsItem(TableName, Key?.sk, sortKeyPrefixes.balance)) return 'balance update';
    if (isPaymentsItem(TableName, Key?.sk, sortKeyPrefixes.charge)) return 'refund applied to its charge';
  }
  throw new Error(`A write no payments flow makes: ${JSON.stringify(write)}`);
};

/** The one write described so; fails when there is none, or more than one. */
export const theWrite = (writes: readonly TransactItem[], description: string): TransactItem => {
  const [found, ...more] = writes.filter((write) => describeWrite(write) === description);
  if (found === undefined || more.length > 0)
    throw new Error(`Expected one "${description}" write, found ${more.length + (found ? 1 : 0)}`);
  return found;
};

export const putOf = (write: TransactItem): Put => {
  if (write.Put === undefined) throw new Error(`Not a Put: ${JSON.stringify(write)}`);
  return write.Put;
};

export const updateOf = (write: TransactItem): Update => {
  if (write.Update === undefined) throw new Error(`Not an Update: ${JSON.stringify(write)}`);
  return write.Update;
};

/** The ledger entries among the writes, as written. */
export const ledgerEntriesOf = (writes: readonly TransactItem[]): LedgerEntry[] =>
  writes.filter((write) => write.Put?.TableName === tables.ledger).map((write) => putOf(write).Item as LedgerEntry);
