import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import type { IdempotencyKey } from '@retrysafe/idempotency';
import { downstreamKey } from '../../lambdas/payments/key-guard.js';
import { paymentsStoreFromEnvironment } from '../../lambdas/payments/payments-store.js';
import type { CardProcessor } from '../../lambdas/payments/processor-client/card-processor.js';
import { refundMetadata } from '../../lambdas/payments/processor-metadata.js';
import type { ReconciliationReport } from '../../lambdas/reconciliation/reconciler.js';
import { needsAttention, watermarkOverlapMs } from '../../lambdas/reconciliation/reconciler.js';
import type { ChargeId } from '../../lambdas/shared/ids.js';
import { accountPartition } from '../../lambdas/shared/account-partition.js';
import { dynamo } from '../../lambdas/shared/dynamodb.js';
import { processorSettleMs } from '../../lambdas/shared/idempotency-engine.js';
import { runCompleterLater, runCompleterNow, testClock } from '../support/completer-run.js';
import { lambdaContext, uniqueKey } from '../support/events.js';
import { scheduledEvent } from '../../local/schedules.js';
import { createReconcilerHandler } from '../../lambdas/reconciliation/reconciler-handler.js';
import { createTenant, type TestTenant } from '../support/tenants.js';
import { api, json, ledgerBalance, ledgerEntries, unbalancedTransactions } from '../payments/harness.js';
import { chargeAtProcessorOnly, closeWorlds, openWorld, type World } from './world.js';

/** One clock for the file: it only moves forward, so every world's processor ids sort by its time. */
const clock = testClock();
afterAll(closeWorlds);

const visa = { amount: 1_500, currency: 'usd', source: 'tok_visa' } as const;

const counts = (report: ReconciliationReport) => ({ charges: report.listings.charges.counts, refunds: report.listings.refunds.counts });

const only = (kind: 'matched' | 'recovered' | 'mismatched' | 'unknown' | 'pending', n = 1) => ({
  matched: 0,
  recovered: 0,
  mismatched: 0,
  unknown: 0,
  pending: 0,
  [kind]: n,
});

const none = only('matched', 0);

/** What Retrysafe holds for a tenant, through its own API and ledger. */
const holdings = async (world: World, tenant: TestTenant) => {
  const charges = json<{ data: { id: string; amount: number; status: string; amount_refunded: number }[] }>(
    await world.api.get('/v1/charges', tenant, { limit: '100' }),
  ).data;
  const listed = json<{ data: { type: string; request: unknown }[] }>(await world.api.get('/v1/events', tenant, { limit: '100' })).data;
  const events = listed.map((event) => event.type);
  const trails = listed.map((event) => event.request);
  const balance = json<{ available: { currency: string; amount: number }[] }>(await world.api.get('/v1/balance', tenant)).available;
  const entries = await ledgerEntries(tenant.account);
  return { charges, events, trails, balance, ledger: await ledgerBalance(tenant.account), unbalanced: unbalancedTransactions(entries) };
};

/** A client whose processor call lands and whose Lambda then dies: the key stays a recovery point. */
const dyingAfterTheCall = (inner: CardProcessor): CardProcessor => ({
  ...inner,
  charge: async (request, signal) => {
    await inner.charge(request, signal);
    throw new Error('the function died after the processor answered');
  },
});

describe('a charge the processor made and Retrysafe lost', () => {
  it('is recovered with its charge, ledger, balance, event and key guard: processor charges = charges = events = balance', async () => {
    const world = await openWorld(clock);
    const tenant = await createTenant();
    const keys = [uniqueKey(), uniqueKey(), uniqueKey()];
    for (const key of keys) expect((await chargeAtProcessorOnly(world, tenant, key, visa)).kind).toBe('succeeded');
    expect((await holdings(world, tenant)).charges).toEqual([]);

    const report = await world.reconcileLater();
    expect(counts(report)).toEqual({ charges: only('recovered', 3), refunds: none });
    expect(report.listings.charges).toMatchObject({ failed: 0, finished: true });
    expect(needsAttention(report)).toBe(false);

    const held = await holdings(world, tenant);
    expect(held.charges.map((charge) => [charge.amount, charge.status])).toEqual(keys.map(() => [1_500, 'succeeded']));
    expect(held.events).toEqual(keys.map(() => 'charge.succeeded'));
    // Found at the processor, not made by a request Retrysafe saw finish: the events name none.
    expect(held.trails).toEqual(keys.map(() => ({ id: null, idempotency_key_sha256: null })));
    expect(held.balance).toEqual([{ currency: 'usd', amount: 3 * 1_500 }]);
    expect(held.ledger).toEqual({ usd: 3 * 1_500 });
    expect(held.unbalanced).toEqual([]);
    for (const key of keys) {
      expect(
        await paymentsStoreFromEnvironment().findKeyGuard(tenant.account, downstreamKey(tenant.account, key as IdempotencyKey)),
      ).toMatchObject({
        resource: { kind: 'charge' },
      });
    }

    // The client that never came back does, after all: its charge, replayed, and no second one anywhere.
    const late = await world.api.post('/v1/charges', { tenant, key: keys[0], body: visa });
    expect(late.statusCode).toBe(201);
    expect(late.headers['Idempotent-Replayed']).toBe('true');
    expect(held.charges.map((charge) => charge.id)).toContain(json<{ id: string }>(late).id);
  });

  it('changes nothing when run again: what was recovered is matched', async () => {
    const world = await openWorld(clock);
    const tenant = await createTenant();
    await chargeAtProcessorOnly(world, tenant, uniqueKey(), visa);
    expect(counts(await world.reconcileLater())).toEqual({ charges: only('recovered'), refunds: none });
    const before = await holdings(world, tenant);

    // From the very beginning, past the watermark: every object is looked at again.
    const again = await world.reconcileLater({ since: 0 });
    expect(counts(again)).toEqual({ charges: only('matched'), refunds: none });
    expect(await holdings(world, tenant)).toEqual(before);
  });

  it('records a declined charge the processor kept as failed: no money, its charge.failed event', async () => {
    const world = await openWorld(clock);
    const tenant = await createTenant();
    expect((await chargeAtProcessorOnly(world, tenant, uniqueKey(), { ...visa, source: 'tok_chargeDeclined' })).kind).toBe('declined');
    expect(counts(await world.reconcileLater())).toEqual({ charges: only('recovered'), refunds: none });
    const held = await holdings(world, tenant);
    expect(held.charges.map((charge) => charge.status)).toEqual(['failed']);
    expect(held.events).toEqual(['charge.failed']);
    expect(held.ledger).toEqual({});
  });

  it('is recovered when its idempotency record was deleted after the processor charged and the client never came back', async () => {
    const world = await openWorld(clock);
    const tenant = await createTenant();
    const key = uniqueKey();
    const dying = api({ processor: dyingAfterTheCall(world.processor), now: world.clock.now });
    expect((await dying.post('/v1/charges', { tenant, key, body: visa })).statusCode).toBe(500);
    await dynamo().send(new DeleteCommand({ TableName: world.tables.idempotency, Key: { pk: `${tenant.account}#${key}` } }));

    expect(counts(await world.reconcileLater())).toEqual({ charges: only('recovered'), refunds: none });
    const held = await holdings(world, tenant);
    expect(held.charges).toHaveLength(1);
    expect(held.events).toEqual(['charge.succeeded']);
    expect(held.balance).toEqual([{ currency: 'usd', amount: 1_500 }]);
  });
});

describe('what the reconciler reports and never fixes', () => {
  it('reports a charge whose amount differs here as mismatched, and leaves both sides as they are', async () => {
    const world = await openWorld(clock);
    const tenant = await createTenant();
    const charged = await world.api.post('/v1/charges', { tenant, key: uniqueKey(), body: visa });
    const chargeId = json<{ id: ChargeId }>(charged).id;
    await dynamo().send(
      new UpdateCommand({
        TableName: world.tables.payments,
        Key: { pk: accountPartition(tenant.account), sk: `CH#${chargeId}` },
        UpdateExpression: 'SET amount = :amount',
        ExpressionAttributeValues: { ':amount': 1_400 },
      }),
    );
    const before = await holdings(world, tenant);

    const report = await world.reconcileLater();
    expect(counts(report)).toEqual({ charges: only('mismatched'), refunds: none });
    expect(report.notable).toEqual([
      expect.objectContaining({
        listing: 'charges',
        account: tenant.account,
        classification: { kind: 'mismatched', differences: [{ field: 'amount', processor: 1_500, retrysafe: 1_400 }] },
      }),
    ]);
    expect(needsAttention(report)).toBe(true);
    expect(await holdings(world, tenant)).toEqual(before);
  });

  it('reports a processor charge that names no account, or an account nobody has, or a key Retrysafe never derives, as unknown', async () => {
    const world = await openWorld(clock);
    const tenant = await createTenant();
    const key = downstreamKey(tenant.account, uniqueKey() as IdempotencyKey);
    await world.processor.charge({ ...visa, metadata: {}, idempotencyKey: key });
    await world.processor.charge({
      ...visa,
      metadata: { retrysafe_account: 'acct_nobody' },
      idempotencyKey: downstreamKey('acct_nobody' as TestTenant['account'], 'k' as IdempotencyKey),
    });
    await world.processor.charge({ ...visa, metadata: { retrysafe_account: tenant.account }, idempotencyKey: 'someone-elses-key' });

    const report = await world.reconcileLater();
    expect(counts(report)).toEqual({ charges: only('unknown', 3), refunds: none });
    expect(report.notable.map((judged) => judged.classification)).toEqual([
      { kind: 'unknown', reason: 'no-account' },
      { kind: 'unknown', reason: 'account-not-found' },
      { kind: 'unknown', reason: 'foreign-key' },
    ]);
    expect((await holdings(world, tenant)).charges).toEqual([]);
  });

  it('reports a recovery point unresolved for longer than the threshold as stuck', async () => {
    const world = await openWorld(clock);
    const tenant = await createTenant();
    const key = uniqueKey();
    await world.api.post('/v1/charges', { tenant, key, body: { ...visa, source: 'tok_processor_error' } });
    const stuckAfterMs = 15 * 60_000;

    expect((await world.reconcileNow({}, { stuckAfterMs })).stuck).toEqual([]);
    world.clock.advance(stuckAfterMs);
    const report = await world.reconcileNow({}, { stuckAfterMs });
    expect(report.stuck).toEqual([
      expect.objectContaining({ account: tenant.account, idempotencyKey: key, kind: 'charge', ageMs: stuckAfterMs }),
    ]);
    expect(needsAttention(report)).toBe(true);
  });
});

describe('a refund the processor made and Retrysafe lost', () => {
  it('is recovered: the charge refunded, the ledger reversed, the balance down, its event; matched on the next run', async () => {
    const world = await openWorld(clock);
    const tenant = await createTenant();
    const charge = json<{ id: ChargeId; processor_charge_id: string }>(
      await world.api.post('/v1/charges', { tenant, key: uniqueKey(), body: visa }),
    );
    const refundKey = uniqueKey();
    const refunded = await world.processor.refund({
      processorChargeId: charge.processor_charge_id as never,
      amount: 500,
      metadata: refundMetadata(tenant.account, charge.id),
      idempotencyKey: downstreamKey(tenant.account, refundKey as IdempotencyKey),
    });
    expect(refunded.kind).toBe('succeeded');

    expect(counts(await world.reconcileLater())).toEqual({ charges: only('matched'), refunds: only('recovered') });
    const held = await holdings(world, tenant);
    expect(held.charges.map((recorded) => recorded.amount_refunded)).toEqual([500]);
    expect(held.events).toEqual(['charge.refunded', 'charge.succeeded']);
    expect(held.balance).toEqual([{ currency: 'usd', amount: 1_000 }]);
    expect(held.ledger).toEqual({ usd: 1_000 });
    expect(held.unbalanced).toEqual([]);

    expect(counts(await world.reconcileLater({ since: 0 }))).toEqual({ charges: only('matched'), refunds: only('matched') });
    expect(await holdings(world, tenant)).toEqual(held);
    const late = await world.api.post(`/v1/charges/${charge.id}/refunds`, { tenant, key: refundKey, body: { amount: 500 } });
    expect(late.statusCode).toBe(201);
    expect(late.headers['Idempotent-Replayed']).toBe('true');
  });
});

describe('what the reconciler leaves for later', () => {
  it('leaves an object younger than the settle window, and its watermark before it, for a later run', async () => {
    const world = await openWorld(clock);
    const tenant = await createTenant();
    await chargeAtProcessorOnly(world, tenant, uniqueKey(), visa);

    const early = await world.reconcileNow();
    expect(counts(early)).toEqual({ charges: none, refunds: none });
    expect(early.listings.charges.watermark ?? 0).toBeLessThanOrEqual(world.clock.now() - processorSettleMs);
    expect((await holdings(world, tenant)).charges).toEqual([]);

    expect(counts(await world.reconcileLater())).toEqual({ charges: only('recovered'), refunds: none });
  });

  it('leaves a charge whose key is still a recovery point to the completer, holds its watermark, and matches it once completed', async () => {
    const world = await openWorld(clock);
    const tenant = await createTenant();
    const dying = api({ processor: dyingAfterTheCall(world.processor), now: world.clock.now });
    await dying.post('/v1/charges', { tenant, key: uniqueKey(), body: visa });

    const report = await world.reconcileLater();
    expect(counts(report)).toEqual({ charges: only('pending'), refunds: none });
    expect(needsAttention(report)).toBe(false);
    const [pending] = report.notable;
    expect(report.listings.charges.watermark).toBe(pending?.createdAtMs);
    expect((await holdings(world, tenant)).charges).toEqual([]);

    expect((await runCompleterLater(world.clock, world.processor)).resolutions.committed).toBe(1);
    const after = await world.reconcileLater();
    expect(counts(after)).toEqual({ charges: only('matched'), refunds: none });
    expect(after.listings.charges.walkedFrom).toBe((pending?.createdAtMs ?? 0) - watermarkOverlapMs);
    expect((await holdings(world, tenant)).events).toEqual(['charge.succeeded']);
  });

  it('commits once when it races the completer for the same charge (its view of recovery points stale)', async () => {
    const world = await openWorld(clock);
    const tenant = await createTenant();
    const dying = api({ processor: dyingAfterTheCall(world.processor), now: world.clock.now });
    await dying.post('/v1/charges', { tenant, key: uniqueKey(), body: visa });
    world.clock.advance(60_000 + processorSettleMs);

    const blind = { finish: world.deps.recoveryPoints.finish.bind(world.deps.recoveryPoints), recoveryPointsClaimedBefore: async () => [] };
    const [report, completion] = await Promise.all([
      world.reconcileNow({}, { recoveryPoints: blind }),
      runCompleterNow(world.clock, world.processor),
    ]);
    expect(report.listings.charges.counts.recovered + report.listings.charges.counts.matched).toBe(1);
    expect(completion.resolutions.committed).toBe(1);

    const held = await holdings(world, tenant);
    expect(held.charges).toHaveLength(1);
    expect(held.events).toEqual(['charge.succeeded']);
    expect(held.balance).toEqual([{ currency: 'usd', amount: 1_500 }]);
    expect(held.ledger).toEqual({ usd: 1_500 });
  });
});

describe('the watermark', () => {
  it('persists where the walk got, and the next run starts from it less the overlap', async () => {
    const world = await openWorld(clock);
    const tenant = await createTenant();
    await chargeAtProcessorOnly(world, tenant, uniqueKey(), visa);

    const first = await world.reconcileLater();
    expect(first.listings.charges.walkedFrom).toBeUndefined();
    const settledBefore = world.clock.now() - processorSettleMs;
    expect(first.listings.charges.watermark).toBe(settledBefore);
    expect(await world.deps.watermarks.read('charges')).toBe(settledBefore);
    expect(await world.deps.watermarks.read('refunds')).toBe(settledBefore);

    await chargeAtProcessorOnly(world, tenant, uniqueKey(), visa);
    const second = await world.reconcileLater();
    expect(second.listings.charges.walkedFrom).toBe(settledBefore - watermarkOverlapMs);
    // The first charge lies before the overlap: only the new one is looked at.
    expect(counts(second)).toEqual({ charges: only('recovered'), refunds: none });
    expect(await world.deps.watermarks.read('charges')).toBe(world.clock.now() - processorSettleMs);
  });

  it('is left alone by a run given its own starting point', async () => {
    const world = await openWorld(clock);
    await world.reconcileLater();
    const watermark = await world.deps.watermarks.read('charges');
    await world.reconcileLater({ since: 0 });
    expect(await world.deps.watermarks.read('charges')).toBe(watermark);
  });
});

describe('the reconciler function', () => {
  it('runs one reconciliation per scheduled event, within the run deadline', async () => {
    const world = await openWorld(clock);
    const tenant = await createTenant();
    await chargeAtProcessorOnly(world, tenant, uniqueKey(), visa);
    clock.advance(processorSettleMs + 60_000);
    const handler = createReconcilerHandler({ ...world.deps, intervalMs: 60_000 });
    const report = await handler(
      scheduledEvent({ function: 'reconciler', every: 'RECOVERY_INTERVAL_SECONDS' }, new Date(clock.now())),
      lambdaContext(60_000),
    );
    expect(counts(report)).toEqual({ charges: only('recovered'), refunds: none });
  });
});
