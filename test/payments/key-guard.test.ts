import { describe, expect, it } from 'vitest';
import { decodeResponse, takeAtomicCommit } from '@retrysafe/idempotency';
import { jsonResponse } from '../../lambdas/http/types.js';
import { chargeResponse } from '../../lambdas/payments/charge-responses.js';
import { answerFromRivalGuard, downstreamKey, replayFromGuard } from '../../lambdas/payments/key-guard.js';
import type { GuardedResource, KeyGuardItem, Refund } from '../../lambdas/payments/records.js';
import type { RefundId } from '../../lambdas/shared/ids.js';
import { idempotency, identity, nowMs, offlineStore, succeededCharge, tenant } from './fixtures.js';

const charge = succeededCharge();
const refund: Refund = {
  id: 're_01JHBBBBBBBBBBBBBBBBBBBBBB' as RefundId,
  object: 'refund',
  charge: charge.id,
  amount: 100,
  currency: 'eur',
  status: 'succeeded',
  created: 1,
  processor_refund_id: 'pre_1',
};

const store = offlineStore();

/** The guard item a decision writes, as DynamoDB would hand it back. */
const guardFor = (resource: GuardedResource, answer = chargeResponse(charge, 201), fingerprint = idempotency.fingerprint) => {
  const put = store.keyGuardPut({ tenant, key: downstreamKey(tenant, idempotency.key), fingerprint, resource, answer, nowMs }).Put;
  if (put === undefined) throw new Error('A key guard is a Put');
  return put.Item as KeyGuardItem;
};

const chargeGuard = guardFor({ kind: 'charge', id: charge.id });
const refundGuard = guardFor({ kind: 'refund', id: refund.id, charge: charge.id }, jsonResponse(201, refund));

describe('the key guard', () => {
  it('is keyed by the downstream key, so a processor record leads to it, and keeps the answer the request got', () => {
    expect(chargeGuard.sk).toBe(`KEY#${downstreamKey(tenant, idempotency.key)}`);
    expect(decodeResponse(chargeGuard)).toEqual({
      statusCode: 201,
      headers: { 'Content-Type': 'application/json', Location: `/v1/charges/${charge.id}` },
      body: JSON.stringify(charge),
    });
  });

  it('compresses a large answer', () => {
    const big = guardFor({ kind: 'charge', id: charge.id }, jsonResponse(201, { padding: 'x'.repeat(10_000) }));
    expect(big.responseGzip).toBeInstanceOf(Uint8Array);
    expect(big.response).toBeUndefined();
    expect(JSON.parse(decodeResponse(big).body)).toEqual({ padding: 'x'.repeat(10_000) });
  });
});

describe('replayFromGuard', () => {
  it('replays the original answer byte for byte: its status, its body, with Idempotent-Replayed, whatever happened since', () => {
    const response = replayFromGuard(chargeGuard, identity, 'charge');
    expect(response.statusCode).toBe(201);
    expect(response.headers).toEqual({
      'Content-Type': 'application/json',
      Location: `/v1/charges/${charge.id}`,
      'Idempotent-Replayed': 'true',
    });
    expect(response.body).toBe(JSON.stringify(charge));
  });

  it('replays a declined charge as the original 402, with the failed charge', () => {
    const declined = { ...charge, status: 'failed' as const, failure_code: 'insufficient_funds' };
    const response = replayFromGuard(guardFor({ kind: 'charge', id: charge.id }, chargeResponse(declined, 201)), identity, 'charge');
    expect(response.statusCode).toBe(402);
    expect(response.headers['Idempotent-Replayed']).toBe('true');
    expect(JSON.parse(response.body)).toMatchObject({ decline_code: 'insufficient_funds', charge: declined });
  });

  it('replays the refund the key created', () => {
    const response = replayFromGuard(refundGuard, identity, 'refund');
    expect(response.statusCode).toBe(201);
    expect(response.body).toBe(JSON.stringify(refund));
  });

  it('answers 422, not to be stored, to another request under the key: another body, or a route that creates another kind', () => {
    const otherBody = guardFor({ kind: 'charge', id: charge.id }, chargeResponse(charge, 201), 'another-fingerprint');
    for (const [guard, route] of [
      [otherBody, 'charge'],
      [chargeGuard, 'refund'],
      [refundGuard, 'charge'],
    ] as const) {
      const { response, store: stored } = takeAtomicCommit(replayFromGuard(guard, identity, route));
      expect(response.statusCode).toBe(422);
      expect(JSON.parse(response.body)).toMatchObject({ type: 'https://retrysafe.dev/problems/idempotency-key-reused' });
      expect(stored).toBe(false);
    }
  });
});

describe('answerFromRivalGuard', () => {
  const write = store.chargePut(tenant, charge);
  const guardWrite = store.keyGuardPut({
    tenant,
    key: downstreamKey(tenant, idempotency.key),
    fingerprint: idempotency.fingerprint,
    resource: { kind: 'charge', id: charge.id },
    answer: chargeResponse(charge, 201),
    nowMs,
  });
  const writes = [write, guardWrite];

  it('answers a guard put rejected at commit from the guard that was there first', () => {
    const answer = answerFromRivalGuard(writes, guardWrite, identity, 'charge')({ index: 1, item: { ...chargeGuard } });
    expect(answer.statusCode).toBe(201);
    expect(answer.headers['Idempotent-Replayed']).toBe('true');
  });

  it('leaves any other rejected write an error', () => {
    expect(() => answerFromRivalGuard(writes, guardWrite, identity, 'charge')({ index: 0, item: {} })).toThrow(/rejected at commit/);
  });
});
