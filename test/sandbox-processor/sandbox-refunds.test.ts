import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HttpResponse } from '../../lambdas/http/types.js';
import type { ProcessorCharge } from '../../lambdas/sandbox-processor/charge.js';
import type { ProcessorRefund } from '../../lambdas/sandbox-processor/refund.js';
import { type ChargeBody, chargeEvent, listEvent, newKey, type RefundBody, refundEvent, sandboxEvent } from './processor-events.js';
import {
  bodyOf,
  chargeOf,
  currentCharge,
  heldAtCommit,
  heldSlowAnswer,
  invoke,
  listedUnderKey,
  listOf,
  privateWindow,
  refundOf,
  type Serve,
} from './sandbox-harness.js';

const visa: ChargeBody = { amount: 2500, currency: 'eur', source: 'tok_visa' };

const newCharge = async (body: Partial<ChargeBody> = {}, serve?: Serve): Promise<ProcessorCharge> =>
  chargeOf(await invoke(chargeEvent(newKey(), { ...visa, ...body }), serve));

const refundsUnderKey = (key: string, since: number): Promise<ProcessorRefund[]> => listedUnderKey(key, since, '/refunds');

const expectProblem = (response: HttpResponse, status: number, slug: string) => {
  expect(response.statusCode).toBe(status);
  expect(response.headers['Content-Type']).toBe('application/problem+json');
  expect(bodyOf(response)).toMatchObject({ type: `https://retrysafe.dev/problems/${slug}`, status });
};

describe('sandbox processor: POST /refunds', () => {
  it('refunds part of a charge once, replays the refund for the same key, and keeps the charge’s amount_refunded current', async () => {
    const since = Date.now() - 1000;
    const charge = await newCharge();
    const key = newKey();
    const body: RefundBody = { charge: charge.id, amount: 1000, metadata: { retrysafe_account: 'acct_shop42', refund: 're_1' } };

    const first = await invoke(refundEvent(key, body));
    expect(first.statusCode).toBe(201);
    expect(first.headers['Idempotent-Replayed']).toBeUndefined();
    const refund = refundOf(first);
    expect(refund).toEqual({
      id: expect.stringMatching(/^pre_[0-9A-Z]{26}$/) as string,
      object: 'processor_refund',
      charge: charge.id,
      amount: 1000,
      currency: 'eur',
      status: 'succeeded',
      idempotency_key: key,
      created: expect.any(Number) as number,
      metadata: body.metadata,
    });

    const again = await invoke(refundEvent(key, body));
    expect(again.statusCode).toBe(201);
    expect(again.headers['Idempotent-Replayed']).toBe('true');
    expect(refundOf(again)).toEqual(refund);

    expect(await refundsUnderKey(key, since)).toEqual([refund]);
    expect(await currentCharge(charge)).toEqual({ ...charge, amount_refunded: 1000 });
  });

  it('refunds partially until nothing is left, then refuses with 400 amount-too-large, stored for its key', async () => {
    const since = Date.now() - 1000;
    const charge = await newCharge();
    for (const amount of [1000, 1000, 499, 1]) {
      expect((await invoke(refundEvent(newKey(), { charge: charge.id, amount }))).statusCode).toBe(201);
    }
    expect(await currentCharge(charge)).toMatchObject({ amount_refunded: 2500 });

    const key = newKey();
    const refused = await invoke(refundEvent(key, { charge: charge.id, amount: 1 }));
    expectProblem(refused, 400, 'amount-too-large');
    expect(bodyOf(refused)).toMatchObject({ charge: charge.id, detail: expect.stringContaining('has 0 eur left to refund') as string });
    const replayed = await invoke(refundEvent(key, { charge: charge.id, amount: 1 }));
    expect(replayed.headers['Idempotent-Replayed']).toBe('true');
    expect(bodyOf(replayed)).toEqual(bodyOf(refused));
    expect(await refundsUnderKey(key, since)).toEqual([]);
  });

  it('refuses a refund larger than the charge and changes nothing', async () => {
    const charge = await newCharge();
    expectProblem(await invoke(refundEvent(newKey(), { charge: charge.id, amount: 2501 })), 400, 'amount-too-large');
    expect(await currentCharge(charge)).toEqual(charge);
  });

  it('never refunds more than the charge across 100 concurrent refunds', async () => {
    const since = Date.now() - 1000;
    const charge = await newCharge({ amount: 2550 });
    const keys = Array.from({ length: 100 }, () => newKey());
    // A 503 (transaction conflicts outlasting the engine's retries) or a 409 asks for a retry with the same key.
    const refundUntilFinal = async (key: string): Promise<HttpResponse> => {
      for (;;) {
        const response = await invoke(refundEvent(key, { charge: charge.id, amount: 100 }));
        if (response.statusCode !== 503 && response.statusCode !== 409) return response;
      }
    };
    const responses = await Promise.all(keys.map(refundUntilFinal));

    const succeeded = responses.filter((response) => response.statusCode === 201);
    const refused = responses.filter((response) => response.statusCode === 400);
    expect(succeeded).toHaveLength(25);
    expect(refused).toHaveLength(75);
    for (const response of refused) expect(bodyOf(response)).toMatchObject({ type: 'https://retrysafe.dev/problems/amount-too-large' });
    expect(await currentCharge(charge)).toMatchObject({ amount_refunded: 2500 });
    const listed = (await Promise.all(keys.map((key) => refundsUnderKey(key, since)))).flat();
    expect(listed.map((refund) => refund.id).sort()).toEqual(succeeded.map((response) => refundOf(response).id).sort());
  });

  it('answers 422 to a key reused with other parameters, naming the refund it created', async () => {
    const charge = await newCharge();
    const other = await newCharge();
    const key = newKey();
    const refund = refundOf(await invoke(refundEvent(key, { charge: charge.id, amount: 100 })));
    for (const body of [
      { charge: charge.id, amount: 101 },
      { charge: other.id, amount: 100 },
      { charge: charge.id, amount: 100, metadata: { order: '1' } },
    ]) {
      const reused = await invoke(refundEvent(key, body));
      expectProblem(reused, 422, 'idempotency-key-reused');
      expect(bodyOf(reused)).toMatchObject({ refund: refund.id });
    }
    expect(await currentCharge(charge)).toMatchObject({ amount_refunded: 100 });
  });

  it('answers 404 for an unknown charge, naming the charge field, and stores the answer for the key', async () => {
    const key = newKey();
    const unknown = { charge: 'pch_01JD0000000000000000000000', amount: 100 };
    const missing = await invoke(refundEvent(key, unknown));
    expectProblem(missing, 404, 'not-found');
    expect(bodyOf(missing)).toMatchObject({ field: 'charge' });
    const replayed = await invoke(refundEvent(key, unknown));
    expect(replayed.headers['Idempotent-Replayed']).toBe('true');
    expect(replayed.statusCode).toBe(404);
  });

  it('answers 400 charge-not-refundable for a declined charge', async () => {
    const declined = await newCharge({ source: 'tok_chargeDeclined' });
    const refused = await invoke(refundEvent(newKey(), { charge: declined.id, amount: 100 }));
    expectProblem(refused, 400, 'charge-not-refundable');
    expect(bodyOf(refused)).toMatchObject({ charge: declined.id });
    expect(await currentCharge(declined)).toEqual(declined);
  });

  it('answers 409 with Retry-After to the same key while its first request is in progress', async () => {
    const charge = await newCharge();
    const key = newKey();
    const held = heldAtCommit();
    const first = invoke(refundEvent(key, { charge: charge.id, amount: 100 }), held.serve);
    await held.reached;

    const concurrent = await invoke(refundEvent(key, { charge: charge.id, amount: 100 }));
    expectProblem(concurrent, 409, 'idempotency-key-in-use');
    expect(concurrent.headers['Retry-After']).toBe('1');

    held.release();
    expect((await first).statusCode).toBe(201);
  });

  it('keeps refund keys apart from charge keys: one key may name a charge and a refund of it', async () => {
    const key = newKey();
    const charge = chargeOf(await invoke(chargeEvent(key, visa)));
    const refund = await invoke(refundEvent(key, { charge: charge.id, amount: 100 }));
    expect(refund.statusCode).toBe(201);
    expect(refund.headers['Idempotent-Replayed']).toBeUndefined();
  });
});

describe('sandbox processor: the lost refund response (tok_timeout_after_refund)', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('charges at once, then stores each refund before its delayed answer and replays it at once to a retry', async () => {
    vi.stubEnv('SANDBOX_SLOW_RESPONSE_MS', '4321');
    const { serve, holds, firstIsHeld, release } = heldSlowAnswer();
    const since = Date.now() - 1000;
    const charge = await newCharge({ source: 'tok_timeout_after_refund' }, serve);
    expect(holds).toEqual([]);

    const key = newKey();
    const first = invoke(refundEvent(key, { charge: charge.id, amount: 700 }), serve);
    await firstIsHeld;
    const [stored] = await refundsUnderKey(key, since);
    expect(stored).toMatchObject({ charge: charge.id, amount: 700, status: 'succeeded' });

    const retry = await invoke(refundEvent(key, { charge: charge.id, amount: 700 }), serve);
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['Idempotent-Replayed']).toBe('true');
    expect(refundOf(retry)).toEqual(stored);

    release();
    expect(refundOf(await first)).toEqual(stored);
    expect(holds).toEqual([4321]);
  });
});

describe('sandbox processor: refund requests that are invalid store nothing', () => {
  const post = (body: unknown, headers: Record<string, string> = { 'Idempotency-Key': newKey() }) =>
    invoke(sandboxEvent({ method: 'POST', path: '/refunds', headers, body: JSON.stringify(body) }));

  const expectField = async (response: Promise<HttpResponse>, field: string) => {
    const refused = await response;
    expectProblem(refused, 400, 'validation-error');
    expect(bodyOf(refused)).toMatchObject({ field });
  };

  it('requires an Idempotency-Key and a valid body', async () => {
    const charge = await newCharge();
    expectProblem(await post({ charge: charge.id, amount: 100 }, {}), 400, 'idempotency-key-missing');
    await expectField(post({ charge: 'ch_01JD0000000000000000000000', amount: 100 }), 'charge');
    await expectField(post({ charge: 42, amount: 100 }), 'charge');
    await expectField(post({ amount: 100 }), 'charge');
    await expectField(post({ charge: charge.id }), 'amount');
    await expectField(post({ charge: charge.id, amount: 0 }), 'amount');
    await expectField(post({ charge: charge.id, amount: 1.5 }), 'amount');
    await expectField(post({ charge: charge.id, amount: 100, reason: 'duplicate' }), 'reason');
    await expectField(post({ charge: charge.id, amount: 100, metadata: { order: 7 } }), 'metadata.order');
  });

  it('leaves the key free after a validation error, so the corrected request may use it', async () => {
    const charge = await newCharge();
    const key = newKey();
    await expectField(post({ charge: charge.id, amount: -1 }, { 'Idempotency-Key': key }), 'amount');
    expect((await invoke(refundEvent(key, { charge: charge.id, amount: 100 }))).statusCode).toBe(201);
  });
});

describe('sandbox processor: GET /refunds', () => {
  const { windowStart, serve } = privateWindow();

  it('lists refunds oldest first from `since`, paging with limit and cursor', async () => {
    // Charged on the real clock: this window is only for refunds, and the CHARGES partition's windows belong to other files.
    const charge = await newCharge();
    const created: ProcessorRefund[] = [];
    for (let i = 0; i < 5; i++) {
      created.push(refundOf(await invoke(refundEvent(newKey(), { charge: charge.id, amount: 100 + i }), serve)));
    }
    const page = (query: Record<string, string>) =>
      invoke(listEvent({ since: String(windowStart), limit: '2', ...query }, '/refunds'), serve);

    const first = listOf<ProcessorRefund>(await page({}));
    expect(first).toMatchObject({ object: 'list', has_more: true, next_cursor: created[1]?.id });
    expect(first.data).toEqual(created.slice(0, 2));
    const second = listOf<ProcessorRefund>(await page({ cursor: first.next_cursor ?? '' }));
    expect(second.data).toEqual(created.slice(2, 4));
    const last = listOf<ProcessorRefund>(await page({ cursor: second.next_cursor ?? '' }));
    expect(last).toMatchObject({ has_more: false, next_cursor: null });
    expect(last.data).toEqual(created.slice(4));

    expect(await currentCharge(charge)).toEqual({ ...charge, amount_refunded: 510 });
  });

  it('validates its listing parameters like GET /charges', async () => {
    const refused = await invoke(listEvent({ cursor: 'pch_01JD0000000000000000000000' }, '/refunds'));
    expectProblem(refused, 400, 'validation-error');
    expect(bodyOf(refused)).toMatchObject({ field: 'cursor' });
  });
});
