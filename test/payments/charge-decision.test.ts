import { describe, expect, it } from 'vitest';
import { storedForm } from '@retrysafe/idempotency';
import { decideCharge, type ChargeDecisionInput } from '../../lambdas/payments/charge-decision.js';
import { downstreamKey } from '../../lambdas/payments/key-guard.js';
import { merchantBalances } from '../../lambdas/payments/ledger.js';
import type { ProcessorChargeId, ProcessorChargeOutcome } from '../../lambdas/payments/processor-client/card-processor.js';
import type { Charge, ChargeItem, KeyGuardItem } from '../../lambdas/payments/records.js';
import type { EventItem } from '../../lambdas/events/outbox.js';
import { idempotency, identity, nowMs, offlineStore, tables, tenant, trail } from './fixtures.js';
import { describeWrite, ledgerEntriesOf, putOf, theWrite, updateOf, writesOf } from './transact-items.js';

const store = offlineStore();
const processorChargeId = 'pch_unit' as ProcessorChargeId;
const request = { amount: 1_250, currency: 'usd', source: 'tok_visa', description: 'Order #1', metadata: { order: '1' } } as const;

const decide = (outcome: ProcessorChargeOutcome) => {
  const input: ChargeDecisionInput = { outcome, request, tenant, identity, nowMs, trail };
  return decideCharge(store, input);
};

const succeeded = () => decide({ kind: 'succeeded', processorChargeId, replayed: false });
const declined = () => decide({ kind: 'declined', processorChargeId, declineCode: 'insufficient_funds', replayed: false });

describe('decideCharge', () => {
  it('commits a succeeded charge: the charge, a balanced ledger transaction, one balance update, one event, one key guard', () => {
    const decision = succeeded();
    const writes = writesOf(decision);
    expect(writes.map(describeWrite)).toEqual([
      'charge',
      'ledger debit processor_receivable',
      'ledger credit merchant_available',
      'balance update',
      'event charge.succeeded',
      'key guard',
    ]);

    expect(decision.response.statusCode).toBe(201);
    const charge = JSON.parse(decision.response.body) as Charge;
    expect(charge).toMatchObject({
      object: 'charge',
      amount: 1_250,
      amount_refunded: 0,
      currency: 'usd',
      status: 'succeeded',
      description: 'Order #1',
      metadata: { order: '1' },
      created: Math.floor(nowMs / 1000),
      processor_charge_id: processorChargeId,
      failure_code: null,
    });
    expect(decision.response.headers.Location).toBe(`/v1/charges/${charge.id}`);

    const chargePut = putOf(theWrite(writes, 'charge'));
    expect(chargePut).toMatchObject({ TableName: tables.payments, ConditionExpression: 'attribute_not_exists(pk)' });
    expect(chargePut.Item as ChargeItem).toEqual({
      ...charge,
      pk: `ACCT#${tenant}`,
      sk: `CH#${charge.id}`,
      amount_refundable: 1_250,
      origin: 'us-east-1',
    });

    const entries = ledgerEntriesOf(writes);
    expect(entries.map((entry) => entry.amount)).toEqual([1_250, 1_250]);
    expect(new Set(entries.map((entry) => entry.transactionId)).size).toBe(1);
    for (const entry of entries) expect(entry).toMatchObject({ currency: 'usd', source: { kind: 'charge', id: charge.id } });

    const balance = updateOf(theWrite(writes, 'balance update'));
    expect(balance.Key).toMatchObject({ pk: `ACCT#${tenant}`, sk: expect.stringMatching(/^BAL#usd#us-east-1\.[0-7]$/) as string });
    // The balance moves by exactly what the ledger says the merchant is now owed.
    expect(balance.ExpressionAttributeValues?.[':amount']).toBe(merchantBalances(entries).get('usd'));

    const event = (putOf(theWrite(writes, 'event charge.succeeded')).Item as EventItem).event;
    expect(event.data.object).toEqual(charge);
    expect(event.request).toEqual(trail);

    const guard = putOf(theWrite(writes, 'key guard')).Item as KeyGuardItem;
    expect(guard).toEqual({
      pk: `ACCT#${tenant}`,
      sk: `KEY#${downstreamKey(tenant, idempotency.key)}`,
      resource: { kind: 'charge', id: charge.id },
      fingerprint: idempotency.fingerprint,
      createdAt: nowMs,
      response: JSON.stringify(storedForm(decision.response)),
    });
  });

  it('commits a decline as the failed charge, its event and the key guard, and no money', () => {
    const decision = declined();
    const writes = writesOf(decision);
    expect(writes.map(describeWrite)).toEqual(['charge', 'event charge.failed', 'key guard']);

    expect(decision.response.statusCode).toBe(402);
    const body = JSON.parse(decision.response.body) as { decline_code: string; charge: Charge };
    expect(body).toMatchObject({
      type: 'https://retrysafe.dev/problems/card-declined',
      decline_code: 'insufficient_funds',
      charge: { status: 'failed', failure_code: 'insufficient_funds', amount: 1_250 },
    });
    // Nothing to refund: a failed charge never moved money.
    expect(putOf(theWrite(writes, 'charge')).Item).toMatchObject({ id: body.charge.id, amount_refundable: 0 });
    expect(putOf(theWrite(writes, 'key guard')).Item).toMatchObject({ resource: { kind: 'charge', id: body.charge.id } });
  });

  it('writes nothing when the processor rejects the request, and answers a 400', () => {
    const decision = decide({ kind: 'rejected', reason: 'invalid-request', detail: 'Unknown card token.', field: 'source' });
    expect(decision.kind).toBe('answer');
    expect(decision.response.statusCode).toBe(400);
    expect(JSON.parse(decision.response.body)).toMatchObject({
      type: 'https://retrysafe.dev/problems/validation-error',
      detail: 'Unknown card token.',
      field: 'source',
    });
  });

  it('writes nothing when the processor is unavailable, and answers a 503 with its Retry-After', () => {
    const decision = decide({ kind: 'unavailable', reason: 'timeout', retryAfterSeconds: 7, detail: 'no response within 5000 ms' });
    expect(decision.kind).toBe('answer');
    expect(decision.response.statusCode).toBe(503);
    expect(decision.response.headers['Retry-After']).toBe('7');
    expect(JSON.parse(decision.response.body)).toMatchObject({ type: 'https://retrysafe.dev/problems/processor-unavailable' });
  });

  it('refuses to decide when the processor says our own downstream key was reused: the records disagree', () => {
    expect(() => decide({ kind: 'rejected', reason: 'idempotency-key-reused', detail: 'other parameters' })).toThrow(
      /Processor reports its idempotency key reused/,
    );
  });
});
