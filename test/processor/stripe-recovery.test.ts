import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdempotencyKey } from '@retrysafe/idempotency';
import { downstreamKey } from '../../lambdas/payments/key-guard.js';
import { paymentsStoreFromEnvironment } from '../../lambdas/payments/payments-store.js';
import { stripeProcessorClient } from '../../lambdas/payments/processor-client/stripe-client.js';
import { chargeMetadata } from '../../lambdas/payments/processor-metadata.js';
import { reconcile } from '../../lambdas/reconciliation/reconciler.js';
import { reconcilerDeps } from '../../lambdas/reconciliation/reconciler-deps.js';
import { dynamo } from '../../lambdas/shared/dynamodb.js';
import { tableName } from '../../lambdas/shared/env.js';
import { processorSettleMs } from '../../lambdas/shared/idempotency-engine.js';
import { tables } from '../../lambdas/topology.js';
import { ensureTable } from '../../local/provision.js';
import { api, json } from '../payments/harness.js';
import { runCompleterLater, testClock } from '../support/completer-run.js';
import { uniqueKey } from '../support/events.js';
import { usePrivateIdempotencyTable } from '../support/private-idempotency-table.js';
import { startStripeStandIn, type StripeStandIn } from '../support/stripe-standin.js';
import { createTenant } from '../support/tenants.js';

/**
 * Retrysafe's recovery paths on the Stripe adapter, against the stand-in and DynamoDB Local: a
 * charge whose answer was lost, finished by the completer, and a PaymentIntent Retrysafe never
 * heard of, recorded by the reconciler. This file keeps its own idempotency table: the completer
 * and the reconciler read every recovery point of theirs.
 */
const clock = testClock(Date.now());
let stripe: StripeStandIn;
let idempotencyTable: string;
let reconciliationTable: string;

beforeAll(async () => {
  idempotencyTable = await usePrivateIdempotencyTable('stripe');
  reconciliationTable = `test-reconciliation-stripe-${randomUUID().slice(0, 8)}`;
  const admin = new DynamoDBClient({});
  await ensureTable(admin, reconciliationTable, tables.reconciliation);
  admin.destroy();
  // Stripe stamps objects with the clock the reconciler judges by.
  stripe = await startStripeStandIn({ now: clock.now });
});
afterAll(async () => {
  await stripe.stop();
});

const visa = { amount: 1_500, currency: 'usd', source: 'tok_visa' };
const processor = () => stripeProcessorClient({ stripe: stripe.client(), now: clock.now });

describe('a charge whose Stripe answer was lost', () => {
  it('answers 503, and the completer finds the PaymentIntent by its metadata and commits it: one charge at Stripe, one here', async () => {
    const client = api({ processor: stripeProcessorClient({ stripe: stripe.client(150), now: clock.now }), now: clock.now });
    const tenant = await createTenant();
    const key = uniqueKey();
    stripe.failNext('POST', '/v1/payment_intents', { kind: 'hold', ms: 500 });
    const lost = await client.post('/v1/charges', { tenant, key, body: visa });
    expect(lost.statusCode).toBe(503);
    expect(lost.headers['Retry-After']).toBeDefined();
    const atStripe = stripe
      .intents()
      .filter((intent) => intent.metadata.retrysafe_key === downstreamKey(tenant.account, key as IdempotencyKey));
    expect(atStripe).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 600));

    const searches = stripe.received.filter((request) => request.path === '/v1/payment_intents/search').length;
    const summary = await runCompleterLater(clock, processor());
    expect(summary.resolutions.committed).toBe(1);
    expect(stripe.received.filter((request) => request.path === '/v1/payment_intents/search').length).toBe(searches + 1);
    // Found, never created again.
    expect(stripe.intents().filter((intent) => intent.metadata.retrysafe_key === atStripe[0]?.metadata.retrysafe_key)).toHaveLength(1);

    const retried = await client.post('/v1/charges', { tenant, key, body: visa });
    expect(retried.statusCode).toBe(201);
    expect(json(retried)).toMatchObject({ amount: 1_500, status: 'succeeded', processor_charge_id: atStripe[0]?.id });
  });

  it('declined at Stripe is answered 402 with the PaymentIntent kept as the failed charge', async () => {
    const client = api({ processor: processor(), now: clock.now });
    const tenant = await createTenant();
    const declined = await client.post('/v1/charges', { tenant, key: uniqueKey(), body: { ...visa, source: 'tok_chargeDeclined' } });
    expect(declined.statusCode).toBe(402);
    expect(declined.body).toContain('generic_decline');
    expect(declined.body).toMatch(/"processor_charge_id":"pi_/);
  });
});

describe('a PaymentIntent made at Stripe for a request Retrysafe kept nothing of', () => {
  it('is recorded by the reconciler as the request would have, and a late retry of that request is replayed', async () => {
    const tenant = await createTenant();
    const key = uniqueKey();
    const made = await processor().charge({
      ...visa,
      metadata: chargeMetadata(tenant.account, { order: '7' }),
      idempotencyKey: downstreamKey(tenant.account, key as IdempotencyKey),
    });
    expect(made.kind).toBe('succeeded');
    clock.advance(processorSettleMs + 60_000);

    const deps = reconcilerDeps({
      client: dynamo(),
      tables: {
        apiKeys: tableName('apiKeys'),
        idempotency: idempotencyTable,
        payments: tableName('payments'),
        ledger: tableName('ledger'),
        events: tableName('events'),
        reconciliation: reconciliationTable,
      },
      processor: processor(),
      stuckAfterMs: 365 * 24 * 3600 * 1000,
      now: clock.now,
    });
    const report = await reconcile(deps, { deadlineMs: clock.now() + 60_000 });
    expect(report.listings.charges).toMatchObject({
      finished: true,
      failed: 0,
      counts: expect.objectContaining({ recovered: 1 }) as object,
    });
    expect(report.notable).toEqual([
      expect.objectContaining({
        processorId: made.kind === 'succeeded' ? made.processorChargeId : '',
        classification: { kind: 'recovered' },
      }),
    ]);
    expect(
      await paymentsStoreFromEnvironment().findKeyGuard(tenant.account, downstreamKey(tenant.account, key as IdempotencyKey)),
    ).toMatchObject({ resource: { kind: 'charge' } });

    const late = await api({ processor: processor(), now: clock.now }).post('/v1/charges', {
      tenant,
      key,
      body: { ...visa, metadata: { order: '7' } },
    });
    expect(late.statusCode).toBe(201);
    expect(late.headers['Idempotent-Replayed']).toBe('true');
    expect(json(late)).toMatchObject({ processor_charge_id: made.kind === 'succeeded' ? made.processorChargeId : '' });

    const again = await reconcile(deps, { deadlineMs: clock.now() + 60_000, since: 0 });
    expect(again.listings.charges.counts).toMatchObject({ matched: expect.any(Number) as number, recovered: 0 });
  });
});
