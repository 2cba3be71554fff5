import { describe, expect, it } from 'vitest';
import type { EventItem } from '../../lambdas/events/outbox.js';
import type { HttpResponse } from '../../lambdas/http/types.js';
import { merchantBalances } from '../../lambdas/payments/ledger.js';
import type { Charge, KeyGuardItem, Refund, RefundItem } from '../../lambdas/payments/records.js';
import type { ProcessorRefundId, ProcessorRefundOutcome } from '../../lambdas/payments/processor-client/card-processor.js';
import { decideRefund, planRefund } from '../../lambdas/payments/refund-decision.js';
import { identity, nowMs, offlineStore, succeededCharge, tables, tenant, trail } from './fixtures.js';
import { commitOf, describeWrite, ledgerEntriesOf, putOf, theWrite, updateOf, writesOf } from './transact-items.js';

const store = offlineStore();

const succeeded: ProcessorRefundOutcome = { kind: 'succeeded', processorRefundId: 'pre_1' as ProcessorRefundId, replayed: false };

/** The refund planned from the charge and the request, then decided on the processor's answer (by default: refunded). */
const decide = (charge: Charge, amount?: number, outcome: ProcessorRefundOutcome = succeeded) => {
  const plan = planRefund(charge, amount === undefined ? {} : { amount });
  if (plan.kind === 'refuse') return { kind: 'answer' as const, response: plan.response };
  return decideRefund(store, { outcome, charge, amount: plan.amount, tenant, identity, nowMs, trail });
};

const problemOf = (response: HttpResponse) => ({ status: response.statusCode, ...(JSON.parse(response.body) as Record<string, unknown>) });

describe('decideRefund', () => {
  it('commits what the refund takes off its charge, the refund, the reversed ledger entries, the negative balance update, the event and the key guard', () => {
    const charge = succeededCharge({ amount: 5_000, amount_refunded: 1_000 });
    const decision = decide(charge, 1_500);
    const writes = writesOf(decision);
    expect(writes.map(describeWrite)).toEqual([
      'refund applied to its charge',
      'refund',
      'ledger debit merchant_available',
      'ledger credit processor_receivable',
      'balance update',
      'event charge.refunded',
      'key guard',
    ]);

    expect(decision.response.statusCode).toBe(201);
    const refund = JSON.parse(decision.response.body) as Refund;
    expect(refund).toMatchObject({
      object: 'refund',
      charge: charge.id,
      amount: 1_500,
      currency: 'eur',
      status: 'succeeded',
      processor_refund_id: 'pre_1',
    });
    expect(refund.id).toMatch(/^re_/);

    // No condition on the amount: the processor, which holds the money, has already bounded it.
    expect(updateOf(theWrite(writes, 'refund applied to its charge'))).toEqual({
      TableName: tables.payments,
      Key: { pk: `ACCT#${tenant}`, sk: `CH#${charge.id}` },
      UpdateExpression: 'SET amount_refundable = amount_refundable - :amount, amount_refunded = amount_refunded + :amount',
      ConditionExpression: 'attribute_exists(pk)',
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
    expect(balance.Key).toMatchObject({ sk: expect.stringMatching(/^BAL#eur#us-east-1\.[0-7]$/) as string });
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
    expect(updateOf(theWrite(writesOf(decision), 'refund applied to its charge')).ExpressionAttributeValues).toEqual({ ':amount': 3_500 });
  });

  it('answers a refund the processor refused as taken by a concurrent refund with 400, writing nothing', () => {
    const refused = decide(succeededCharge({ amount: 1_000 }), 600, {
      kind: 'rejected',
      reason: 'amount-too-large',
      detail: 'only 400 left',
    });
    expect(refused.kind).toBe('answer');
    expect(problemOf(refused.response)).toMatchObject({
      status: 400,
      type: 'https://retrysafe.dev/problems/amount-too-large',
      field: 'amount',
    });
  });

  it('writes nothing while the processor is unavailable: a 503 with its Retry-After', () => {
    const unavailable = decide(succeededCharge(), 100, {
      kind: 'unavailable',
      reason: 'timeout',
      retryAfterSeconds: 3,
      detail: 'no response',
    });
    expect(unavailable.kind).toBe('answer');
    expect(unavailable.response.statusCode).toBe(503);
    expect(unavailable.response.headers['Retry-After']).toBe('3');
  });

  it('treats the processor not knowing our charge, or our key, as a disagreement to fail loudly on', () => {
    for (const reason of ['charge-not-found', 'idempotency-key-reused'] as const) {
      expect(() => decide(succeededCharge(), 100, { kind: 'rejected', reason, detail: '' })).toThrow(/disagree|refused refund/);
    }
  });

  it('answers a guard put refused at commit from the rival guard, and fails on any other refused write', () => {
    const { onRejected } = commitOf(decide(succeededCharge({ amount: 1_000 }), 600));
    if (onRejected === undefined) throw new Error('A refund must answer a refused guard');
    expect(() => onRejected({ index: 0, item: undefined })).toThrow(/Write 0 was rejected at commit/);
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
