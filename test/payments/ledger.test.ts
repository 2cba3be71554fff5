import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  chargeEntries,
  type LedgerEntry,
  type LedgerTransaction,
  ledgerPuts,
  merchantBalances,
  readLedgerEntries,
  refundEntries,
} from '../../lambdas/payments/ledger.js';
import type { Currency } from '../../lambdas/payments/money.js';
import type { AccountId, ChargeId, LedgerTransactionId, RefundId } from '../../lambdas/shared/ids.js';

const account = 'acct_1' as AccountId;
const charge = 'ch_1' as ChargeId;

const transaction = (overrides: Partial<LedgerTransaction> = {}): LedgerTransaction => ({
  id: 'ltx_1' as LedgerTransactionId,
  account,
  currency: 'usd',
  amount: 1_999,
  source: { kind: 'charge', id: charge },
  created: 1_700_000_000,
  ...overrides,
});

describe('ledger entries', () => {
  it('record a charge as a debit of the processor receivable and a credit of the merchant', () => {
    const source = { kind: 'charge', id: charge } as const;
    const common = { pk: 'LEDGER#acct_1', transactionId: 'ltx_1', amount: 1_999, currency: 'usd', source, created: 1_700_000_000 };
    expect(chargeEntries(transaction({ source }))).toEqual([
      { ...common, sk: 'ltx_1#debit', account: 'processor_receivable', direction: 'debit' },
      { ...common, sk: 'ltx_1#credit', account: 'merchant_available', direction: 'credit' },
    ]);
  });

  it('record a refund the other way round: a debit of the merchant and a credit of the processor receivable', () => {
    const source = { kind: 'refund', id: 're_1' as RefundId, charge } as const;
    const entries = refundEntries(transaction({ id: 'ltx_2' as LedgerTransactionId, amount: 500, source }));
    expect(entries.map(({ sk, account: ledgerAccount, direction }) => ({ sk, account: ledgerAccount, direction }))).toEqual([
      { sk: 'ltx_2#debit', account: 'merchant_available', direction: 'debit' },
      { sk: 'ltx_2#credit', account: 'processor_receivable', direction: 'credit' },
    ]);
    expect(entries.every((entry) => entry.amount === 500 && entry.source === source && entry.pk === 'LEDGER#acct_1')).toBe(true);
  });

  it('are written only if they do not exist yet, so an entry is never overwritten', () => {
    const entries = chargeEntries(transaction());
    expect(ledgerPuts('ledger-table', entries)).toEqual(
      entries.map((entry) => ({ Put: { TableName: 'ledger-table', Item: entry, ConditionExpression: 'attribute_not_exists(pk)' } })),
    );
  });
});

describe('merchantBalances', () => {
  it('counts credits minus debits of the merchant account, per currency', () => {
    const entries = [
      ...chargeEntries(transaction({ amount: 1_000 })),
      ...chargeEntries(transaction({ amount: 500, currency: 'eur' })),
      ...refundEntries(transaction({ amount: 300, source: { kind: 'refund', id: 're_1' as RefundId, charge } })),
    ];
    expect(merchantBalances(entries)).toEqual(
      new Map<Currency, number>([
        ['usd', 700],
        ['eur', 500],
      ]),
    );
  });

  it('equal what was charged less what was refunded, and every transaction balances (property)', () => {
    const movement = fc.record({
      kind: fc.constantFrom('charge', 'refund'),
      currency: fc.constantFrom<Currency>('usd', 'eur', 'jpy'),
      amount: fc.integer({ min: 1, max: 99_999_999 }),
    });
    fc.assert(
      fc.property(fc.array(movement, { maxLength: 30 }), (movements) => {
        const expected = new Map<Currency, number>();
        const entries: LedgerEntry[] = [];
        for (const { kind, currency, amount } of movements) {
          const pair = (kind === 'charge' ? chargeEntries : refundEntries)(transaction({ currency, amount }));
          const debits = pair.filter((entry) => entry.direction === 'debit').reduce((sum, entry) => sum + entry.amount, 0);
          const credits = pair.filter((entry) => entry.direction === 'credit').reduce((sum, entry) => sum + entry.amount, 0);
          expect(debits).toBe(credits);
          entries.push(...pair);
          expected.set(currency, (expected.get(currency) ?? 0) + (kind === 'charge' ? amount : -amount));
        }
        expect(merchantBalances(entries)).toEqual(expected);
      }),
    );
  });
});

describe('readLedgerEntries', () => {
  it("reads every page of the account's partition with strongly consistent reads", async () => {
    const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
    const ddb = mockClient(client);
    const entries = chargeEntries(transaction());
    const lastKey = { pk: 'LEDGER#acct_1', sk: 'ltx_1#debit' };
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: entries.slice(0, 1), LastEvaluatedKey: lastKey })
      .resolvesOnce({ Items: entries.slice(1) });
    expect(await readLedgerEntries(client, 'ledger-table', account)).toEqual(entries);
    const query = {
      TableName: 'ledger-table',
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': 'LEDGER#acct_1' },
      ConsistentRead: true,
    };
    expect(ddb.commandCalls(QueryCommand).map((call) => call.args[0].input)).toEqual([
      { ...query, ExclusiveStartKey: undefined },
      { ...query, ExclusiveStartKey: lastKey },
    ]);
  });
});
