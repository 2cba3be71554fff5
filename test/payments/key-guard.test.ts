import { describe, expect, it } from 'vitest';
import { replayFromGuard, type GuardedResourceReads } from '../../lambdas/payments/key-guard.js';
import type { GuardedResource, KeyGuardItem, Refund } from '../../lambdas/payments/records.js';
import type { RefundId } from '../../lambdas/shared/ids.js';
import { idempotency, nowMs, succeededCharge, tenant } from './fixtures.js';

const charge = succeededCharge();
const refund: Refund = {
  id: 're_01JHBBBBBBBBBBBBBBBBBBBBBB' as RefundId,
  object: 'refund',
  charge: charge.id,
  amount: 100,
  currency: 'eur',
  status: 'succeeded',
  created: 1,
};

const guardFor = (resource: GuardedResource, fingerprint = idempotency.fingerprint): KeyGuardItem => ({
  pk: 'ACCT#acct_unit',
  sk: 'KEY#key-1',
  resource,
  fingerprint,
  createdAt: nowMs,
});

const reads = (found: { charge?: typeof charge; refund?: Refund } = { charge, refund }): GuardedResourceReads => ({
  readCharge: async (_tenant, id) => (id === found.charge?.id ? found.charge : undefined),
  readRefund: async (_tenant, id) => (id === found.refund?.id ? found.refund : undefined),
});

const chargeGuard = guardFor({ kind: 'charge', id: charge.id });
const refundGuard = guardFor({ kind: 'refund', id: refund.id, charge: charge.id });

describe('replayFromGuard', () => {
  it('replays the charge the key created, as it stands now, with 200 and Idempotent-Replayed', async () => {
    const refunded = { ...charge, amount_refunded: 100 };
    const response = await replayFromGuard(reads({ charge: refunded }), tenant, chargeGuard, idempotency, 'charge');
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({ 'Idempotent-Replayed': 'true', Location: `/v1/charges/${charge.id}` });
    expect(JSON.parse(response.body)).toEqual(refunded);
  });

  it('replays a declined charge as the stored 402, with the failed charge', async () => {
    const declined = { ...charge, status: 'failed' as const, failure_code: 'insufficient_funds' };
    const response = await replayFromGuard(reads({ charge: declined }), tenant, chargeGuard, idempotency, 'charge');
    expect(response.statusCode).toBe(402);
    expect(response.headers['Idempotent-Replayed']).toBe('true');
    expect(JSON.parse(response.body)).toMatchObject({ decline_code: 'insufficient_funds', charge: declined });
  });

  it('replays the refund the key created', async () => {
    const response = await replayFromGuard(reads(), tenant, refundGuard, idempotency, 'refund');
    expect(response.statusCode).toBe(200);
    expect(response.headers['Idempotent-Replayed']).toBe('true');
    expect(JSON.parse(response.body)).toEqual(refund);
  });

  it('answers 422 to another request under the key: another body, or a route that creates another kind', async () => {
    const otherBody = guardFor({ kind: 'charge', id: charge.id }, 'another-fingerprint');
    for (const [guard, route] of [
      [otherBody, 'charge'],
      [chargeGuard, 'refund'],
      [refundGuard, 'charge'],
    ] as const) {
      const response = await replayFromGuard(reads(), tenant, guard, idempotency, route);
      expect(response.statusCode).toBe(422);
      expect(JSON.parse(response.body)).toMatchObject({ type: 'https://retrysafe.dev/problems/idempotency-key-reused' });
    }
  });

  it('fails loudly when the guard points at nothing: the guard and its resource commit together', async () => {
    await expect(replayFromGuard(reads({}), tenant, chargeGuard, idempotency, 'charge')).rejects.toThrow(/missing charge/);
    await expect(replayFromGuard(reads({}), tenant, refundGuard, idempotency, 'refund')).rejects.toThrow(/missing refund/);
  });
});
