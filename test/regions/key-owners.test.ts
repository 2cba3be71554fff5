import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdempotencyKey } from '@retrysafe/idempotency';
import { downstreamKey } from '../../lambdas/payments/key-guard.js';
import { balance, outboxEvents, processorCharges, retrysafeCharges } from '../support/multi-region/audit.js';
import { postChargeUntilAnswered, type ChargeAnswer } from '../support/multi-region/charge-client.js';
import { startTwoRegions, type RegionStore, type SimulatedRegion, type TwoRegions } from '../support/multi-region/regions.js';

/**
 * Retrysafe's multi-region design in the eventual model: every business table replicated
 * asynchronously with last-writer-wins, as MREC does, and the keyOwners table on a store both
 * regions see, as MRSC makes it. The traffic that double-charges the naive design
 * (naive-double-charge.test.ts) charges each key once here, and so does a region dying in the
 * middle of a request while the client fails over to the other.
 *
 * Invariants are equalities checked after the fact, in both replicas once replication drained:
 * processor charges = Retrysafe charges = events, and the balance is the charges' sum.
 */

const keys = 10;
const startUpTimeoutMs = 120_000;
const amount = 2500;
const body = { amount, currency: 'usd', source: 'tok_visa', description: 'Order #1042' };

const post = (regions: TwoRegions, region: SimulatedRegion, key: string, retryForMs: number, request = body): Promise<ChargeAnswer> =>
  postChargeUntilAnswered({ apiUrl: region.apiUrl, authorization: regions.tenant.authorization, key, body: request }, retryForMs);

const downstreamKeyOf = (regions: TwoRegions, key: string): string => downstreamKey(regions.tenant.account, key as IdempotencyKey);

/** What one replica says about the tenant: its charges, its events and its balance. */
const replicaAudit = async (regions: TwoRegions, store: RegionStore) => {
  const charges = await retrysafeCharges(store, regions.tenant.account);
  const events = await outboxEvents(store, regions.tenant.account);
  return {
    chargeIds: charges.map((charge) => charge.id).sort(),
    processorChargeIds: charges.map((charge) => charge.processor_charge_id).sort(),
    eventChargeIds: events.map((event) => (event.event.data.object as { id: string }).id).sort(),
    charged: charges.filter((charge) => charge.status === 'succeeded').reduce((sum, charge) => sum + charge.amount, 0),
    balance: await balance(store, regions.tenant.account),
  };
};

/** The processors' charges over both regions, for the given downstream keys. */
const processorChargesFor = async (regions: TwoRegions, downstreamKeys: ReadonlySet<string>) => {
  const all = [...(await processorCharges(regions.stores.east)), ...(await processorCharges(regions.stores.west))];
  return all.filter((charge) => downstreamKeys.has(charge.idempotency_key));
};

describe("eventual replication with key owners: Retrysafe's multi-region design", () => {
  let regions: TwoRegions | undefined;
  const sim = (): TwoRegions => {
    if (regions === undefined) throw new Error('The regions did not start');
    return regions;
  };
  beforeAll(async () => {
    regions = await startTwoRegions({ model: 'eventual', lagMs: 300, ownership: true });
  }, startUpTimeoutMs);
  afterAll(async () => {
    await regions?.stop();
  });

  it('charges every key once when both regions receive it at once, and both replicas agree', async () => {
    const two = sim();
    const replicatedBefore = two.replicator?.replicatedWrites() ?? {};
    const sent = Array.from({ length: keys }, () => randomUUID());
    const answers = await Promise.all(sent.map((key) => Promise.all([post(two, two.east, key, 20_000), post(two, two.west, key, 20_000)])));
    await two.replicator?.drain();

    const downstreamKeys = new Set(sent.map((key) => downstreamKeyOf(two, key)));
    const charged = await processorChargesFor(two, downstreamKeys);
    expect(charged.map((charge) => charge.idempotency_key).sort()).toEqual([...downstreamKeys].sort());

    // Both regions, the one that executed and the one that answered from its replica, name one charge.
    expect(answers.map(([east, west]) => [east.status, west.status, east.chargeId === west.chargeId])).toEqual(
      answers.map(() => [201, 201, true]),
    );
    const east = await replicaAudit(two, two.stores.east);
    expect(await replicaAudit(two, two.stores.west)).toEqual(east);
    expect(east.chargeIds).toEqual(answers.map(([answer]) => answer.chargeId).sort());
    expect(east.processorChargeIds).toEqual(charged.map((charge) => charge.id).sort());
    expect(east.eventChargeIds).toEqual(east.chargeIds);
    expect(east.balance).toEqual({ object: 'balance', available: [{ currency: 'usd', amount: keys * amount }] });
    expect(east.charged).toBe(keys * amount);

    const replicatedAfter = two.replicator?.replicatedWrites() ?? {};
    const perCharge = Object.fromEntries(
      Object.entries(replicatedAfter).map(([table, count]) => [table, (count - (replicatedBefore[table] ?? 0)) / keys]),
    );
    console.info(`Items replicated to the other region per charge, by table: ${JSON.stringify(perCharge)}`);
  });

  it('never charges again when the region executing a request dies in the middle of it and the client fails over', async () => {
    const two = sim();
    const key = randomUUID();
    const slow = { ...body, source: 'tok_timeout_after_charge' };
    const ownKey = downstreamKeyOf(two, key);

    // us-east-1 claims the key and charges; the processor holds its answer back, and the region dies waiting.
    const inFlight = fetch(`${two.east.apiUrl}/v1/charges`, {
      method: 'POST',
      headers: { ...two.tenant.authorization, 'Idempotency-Key': key, 'Content-Type': 'application/json' },
      body: JSON.stringify(slow),
    }).catch(() => undefined);
    while ((await processorCharges(two.stores.east)).every((charge) => charge.idempotency_key !== ownKey)) await sleep(50);
    await two.east.kill();
    await inFlight;

    // The client fails over: us-west-2 sees the key's owner, never executes it, and asks the client back later.
    const failedOver: number[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      const answer = await post(two, two.west, key, 0, slow);
      failedOver.push(answer.status);
      await sleep(500);
    }
    expect(failedOver).toEqual([409, 409, 409, 409, 409]);
    expect((await processorCharges(two.stores.west)).filter((charge) => charge.idempotency_key === ownKey)).toEqual([]);

    // us-east-1 comes back: the key's retry (or its completer) finishes the charge it made, and us-west-2 then replays it.
    await two.east.restart();
    const home = await post(two, two.east, key, 60_000, slow);
    expect(home.status).toBe(201);
    const away = await post(two, two.west, key, 20_000, slow);
    expect(away).toEqual(home);
    await two.replicator?.drain();

    const charged = await processorChargesFor(two, new Set([ownKey]));
    expect(charged).toHaveLength(1);
    const east = await replicaAudit(two, two.stores.east);
    expect(await replicaAudit(two, two.stores.west)).toEqual(east);
    expect(east.processorChargeIds.filter((id) => id === charged[0]?.id)).toHaveLength(1);
    expect(east.chargeIds.filter((id) => id === home.chargeId)).toHaveLength(1);
    expect(east.eventChargeIds).toEqual(east.chargeIds);
    expect(east.balance.available).toEqual([{ currency: 'usd', amount: east.charged }]);
  });
});
