import { describe, expect, it } from 'vitest';
import type { IdempotencyKey } from '@retrysafe/idempotency';
import type { HttpResponse } from '../../lambdas/http/types.js';
import type { ProcessorCharge } from '../../lambdas/sandbox-processor/charge.js';
import { dynamoKeyRecords } from '../../lambdas/sandbox-processor/key-records.js';
import type { ProcessorRefund } from '../../lambdas/sandbox-processor/refund.js';
import { dynamo } from '../../lambdas/shared/dynamodb.js';
import { tableName } from '../../lambdas/shared/env.js';
import { type ChargeBody, chargeEvent, type ListedPath, listEvent, newKey, refundEvent } from './processor-events.js';
import { bodyOf, chargeOf, heldAtCommit, invoke, listOf, refundOf, type Serve } from './sandbox-harness.js';

const visa: ChargeBody = { amount: 4000, currency: 'usd', source: 'tok_visa', metadata: { retrysafe_account: 'acct_lookup' } };

const lookUp = (path: ListedPath, key: string, serve?: Serve): Promise<HttpResponse> =>
  invoke(listEvent({ idempotency_key: key }, path), serve);

const found = async <T = ProcessorCharge>(path: ListedPath, key: string): Promise<T[]> => {
  const response = await lookUp(path, key);
  expect(response.statusCode).toBe(200);
  const list = listOf<T>(response);
  expect(list).toMatchObject({ object: 'list', has_more: false, next_cursor: null });
  return list.data;
};

describe('sandbox processor: GET /charges?idempotency_key=', () => {
  it('finds the charge created under the key, as it stands now', async () => {
    const key = newKey();
    const charge = chargeOf(await invoke(chargeEvent(key, visa)));
    expect(await found('/charges', key)).toEqual([charge]);

    await invoke(refundEvent(newKey(), { charge: charge.id, amount: 1500 }));
    expect(await found('/charges', key)).toEqual([{ ...charge, amount_refunded: 1500 }]);
  });

  it('finds a declined charge', async () => {
    const key = newKey();
    const declined = chargeOf(await invoke(chargeEvent(key, { ...visa, source: 'tok_chargeDeclined' })));
    expect(await found('/charges', key)).toEqual([declined]);
  });

  it('answers an empty list for a key never used', async () => {
    expect(await found('/charges', newKey())).toEqual([]);
  });

  it('answers an empty list for a key whose request failed without charging and was released', async () => {
    const key = newKey();
    expect((await invoke(chargeEvent(key, { ...visa, source: 'tok_processor_error' }))).statusCode).toBe(503);
    expect(await found('/charges', key)).toEqual([]);
  });

  it('answers 409 with Retry-After while the key’s request is in progress, and the charge once it commits', async () => {
    const key = newKey();
    const held = heldAtCommit();
    const charging = invoke(chargeEvent(key, visa), held.serve);
    await held.reached;

    const inProgress = await lookUp('/charges', key);
    expect(inProgress.statusCode).toBe(409);
    expect(inProgress.headers['Retry-After']).toBe('1');
    expect(bodyOf(inProgress)).toMatchObject({ type: 'https://retrysafe.dev/problems/idempotency-key-in-use' });

    held.release();
    const charge = chargeOf(await charging);
    expect(await found('/charges', key)).toEqual([charge]);
  });

  it('counts a claim whose lease has run out as absent: its executor can no longer commit', async () => {
    const key = newKey();
    const held = heldAtCommit();
    void invoke(chargeEvent(key, visa), held.serve);
    await held.reached;
    const afterTheLease = Date.now() + 24 * 3600 * 1000;
    const keys = dynamoKeyRecords(
      dynamo(),
      () => tableName('processor'),
      () => afterTheLease,
    );
    expect(await keys.state(undefined, key as IdempotencyKey)).toEqual({ kind: 'free' });
    expect((await lookUp('/charges', key)).statusCode).toBe(409);
    held.release();
  });

  it('does not find a charge under a refund key, nor a refund under a charge key', async () => {
    const chargeKey = newKey();
    const charge = chargeOf(await invoke(chargeEvent(chargeKey, visa)));
    const refundKey = newKey();
    await invoke(refundEvent(refundKey, { charge: charge.id, amount: 100 }));
    expect(await found('/refunds', chargeKey)).toEqual([]);
    expect(await found('/charges', refundKey)).toEqual([]);
  });
});

describe('sandbox processor: GET /refunds?idempotency_key=', () => {
  it('finds the refund created under the key', async () => {
    const charge = chargeOf(await invoke(chargeEvent(newKey(), visa)));
    const key = newKey();
    const refund = refundOf(await invoke(refundEvent(key, { charge: charge.id, amount: 300, metadata: { refund: 're_1' } })));
    expect(await found<ProcessorRefund>('/refunds', key)).toEqual([refund]);
  });

  it('answers an empty list for a key whose refund was refused: nothing was refunded', async () => {
    const charge = chargeOf(await invoke(chargeEvent(newKey(), visa)));
    const tooLarge = newKey();
    expect((await invoke(refundEvent(tooLarge, { charge: charge.id, amount: 4001 }))).statusCode).toBe(400);
    const unknownCharge = newKey();
    expect((await invoke(refundEvent(unknownCharge, { charge: 'pch_01JD0000000000000000000000', amount: 1 }))).statusCode).toBe(404);
    expect(await found('/refunds', tooLarge)).toEqual([]);
    expect(await found('/refunds', unknownCharge)).toEqual([]);
  });

  it('answers 409 with Retry-After while the refund is in progress', async () => {
    const charge = chargeOf(await invoke(chargeEvent(newKey(), visa)));
    const key = newKey();
    const held = heldAtCommit();
    const refunding = invoke(refundEvent(key, { charge: charge.id, amount: 300 }), held.serve);
    await held.reached;
    const inProgress = await lookUp('/refunds', key);
    expect(inProgress.statusCode).toBe(409);
    expect(inProgress.headers['Retry-After']).toBe('1');
    held.release();
    const refund = refundOf(await refunding);
    expect(await found<ProcessorRefund>('/refunds', key)).toEqual([refund]);
  });
});

describe('sandbox processor: lookup parameters', () => {
  const expectFieldProblem = async (query: Record<string, string>, field: string) => {
    const response = await invoke(listEvent(query));
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toMatchObject({ type: 'https://retrysafe.dev/problems/validation-error', field });
  };

  it('takes idempotency_key alone: it selects at most one object, so paging parameters are refused', async () => {
    const key = newKey();
    await expectFieldProblem({ idempotency_key: key, since: '0' }, 'since');
    await expectFieldProblem({ idempotency_key: key, cursor: 'pch_01JD0000000000000000000000' }, 'cursor');
    await expectFieldProblem({ idempotency_key: key, limit: '1' }, 'limit');
  });

  it('refuses a key no request could have used', async () => {
    await expectFieldProblem({ idempotency_key: '' }, 'idempotency_key');
    await expectFieldProblem({ idempotency_key: 'k'.repeat(256) }, 'idempotency_key');
    await expectFieldProblem({ idempotency_key: 'clé' }, 'idempotency_key');
  });
});
