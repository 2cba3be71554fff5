import { describe, expect, it } from 'vitest';
import type { EventItem } from '../../lambdas/events/outbox.js';
import type { HttpResponse } from '../../lambdas/http/types.js';
import { merchantBalances } from '../../lambdas/payments/ledger.js';
import type { Charge, KeyGuardItem, Refund, RefundItem } from '../../lambdas/payments/records.js';
import { decideRefund } from '../../lambdas/payments/refund-decision.js';
import { idempotency, nowMs, offlineStore, succeededCharge, tables, tenant } from './fixtures.js';
import { commitOf, describeWrite, ledgerEntriesOf, putOf, theWrite, updateOf, writesOf } from './transact-items.js';

const store = offlineStore();

const decide = (charge: Charge, amount?: number) =>
  decideRefund(store, { charge, request: amount === undefined ? {} : { amount }, tenant, idempotency, nowMs });

const problemOf = (response: HttpResponse) => ({ status: response.statusCode, ...(JSON.parse(response.body) as Record<string, unknown>) });

describe('decideRefund', () => {
  it('commits the conditional decrement, the refund, the reversed ledger entries, the negative balance update, the event and the key guard', () => {
    const charge = succeededCharge({ amount: 5_000, amount_refunded: 1_000 });
    const decision = decide(charge, 1_500);
    const writes = writesOf(decision);
    expect(writes.map(describeWrite)).toEqual([
      'refundable decrement',
      'refund',
      'ledger debit merchant_available',
      'ledger credit processor_receivable',
      'balance update',
      'event charge.refunded',
      'key guard',
    ]);

    expect(decision.response.statusCode).toBe(201);
    const refund = JSON.parse(decision.response.body) as Refund;
    expect(refund).toMatchObject({ object: 'refund', charge: charge.id, amount: 1_500, currency: 'eur', status: 'succeeded' });
    expect(refund.id).toMatch(/^re_/);

    expect(updateOf(theWrite(writes, 'refundable decrement'))).toEqual({
      TableName: tables.payments,
      Key: { pk: `ACCT#${tenant}`, sk: `CH#${charge.id}` },
      UpdateExpression: 'SET amount_refundable = amount_refundable - :amount, amount_refunded = amount_refunded + :amount',
      ConditionExpression: 'amount_refundable >= :amount',
      ExpressionAttributeValues: { ':amount': 1_500 },
    });
    expect(putOf(theWrite(writes, 'refund'))).toMatchObject({
      TableName: tables.payments,
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(putOf(theWrite(writes, 'refund')).Item as RefundItem).toEqual({ ...refund, pk: `ACCT#${tenant}`, sk: `RE#${refund.id}` });

    const entries = ledgerEntriesOf(writes);
    expect(entries.map((entry) => entry.amount)).toEqual([1_500, 1_500]);
    expect(new Set(entries.map((entry) => entry.transactionId)).size).toBe(1);
    for (const entry of entries) expect(entry.source).toEqual({ kind: 'refund', id: refund.id, charge: charge.id });

    const balance = updateOf(theWrite(writes, 'balance update'));
    expect(balance.Key).toMatchObject({ sk: expect.stringMatching(/^BAL#eur#[0-7]$/) as string });
    expect(balance.ExpressionAttributeValues?.[':amount']).toBe(-1_500);
    expect(balance.ExpressionAttributeValues?.[':amount']).toBe(merchantBalances(entries).get('eur'));

    expect((putOf(theWrite(writes, 'event charge.refunded')).Item as EventItem).event.data.object).toEqual(refund);
    expect((putOf(theWrite(writes, 'key guard')).Item as KeyGuardItem).resource).toEqual({
      kind: 'refund',
      id: refund.id,
      charge: charge.id,
    });
  });

  it('refunds what remains when no amount is given', () => {
    const decision = decide(succeededCharge({ amount: 5_000, amount_refunded: 1_500 }));
    expect(JSON.parse(decision.response.body)).toMatchObject({ amount: 3_500 });
    expect(updateOf(theWrite(writesOf(decision), 'refundable decrement')).ExpressionAttributeValues).toEqual({ ':amount': 3_500 });
  });

  it('answers a refund that lost the race for the remaining amount with what actually remains', () => {
    const { onRejected } = commitOf(decide(succeededCharge({ amount: 1_000 }), 600));
    if (onRejected === undefined) throw new Error('A refund must answer a refused decrement');
    expect(problemOf(onRejected({ index: 0, item: { amount_refundable: 400 } }))).toMatchObject({
      status: 400,
      type: 'https://retrysafe.dev/problems/amount-too-large',
      amount_refundable: 400,
    });
    // Every other write is created once and cannot be refused by a concurrent refund: refused, it is a bug.
    expect(() => onRejected({ index: 1, item: undefined })).toThrow(/Write 1 was rejected at commit/);
  });

  it('writes nothing for a failed charge, a refund of more than remains, or of a fully refunded charge', () => {
    const failed = decide(succeededCharge({ status: 'failed', failure_code: 'insufficient_funds' }));
    expect(failed.kind).toBe('answer');
    expect(problemOf(failed.response)).toMatchObject({ status: 400, type: 'https://retrysafe.dev/problems/charge-not-refundable' });

    const tooMuch = decide(succeededCharge({ amount: 1_000, amount_refunded: 300 }), 701);
    expect(tooMuch.kind).toBe('answer');
    expect(problemOf(tooMuch.response)).toMatchObject({ status: 400, field: 'amount', amount_refundable: 700 });

    const nothingLeft = decide(succeededCharge({ amount: 1_000, amount_refunded: 1_000 }));
    expect(nothingLeft.kind).toBe('answer');
    expect(problemOf(nothingLeft.response)).toMatchObject({ detail: 'The charge has been refunded in full.', amount_refundable: 0 });
  });
});
