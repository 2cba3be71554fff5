import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ProcessorCharge } from '../../lambdas/sandbox-processor/charge.js';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { depsFromEnvironment, handler } from '../../lambdas/sandbox-processor/handler.js';
import { maxMetadataKeyLength, maxMetadataKeys, maxMetadataValueLength } from '../../lambdas/sandbox-processor/metadata.js';
import { readSetting } from '../../lambdas/settings.js';
import { type ChargeBody, chargeEvent, listEvent, newKey, sandboxEvent } from './processor-events.js';
import { bodyOf, chargeOf, chargesUnderKey, heldSlowAnswer, invoke, listOf, privateWindow, withCommitHook } from './sandbox-harness.js';

const visa: ChargeBody = { amount: 2500, currency: 'usd', source: 'tok_visa', description: 'Order 1042' };

describe('sandbox processor: POST /charges', () => {
  it('charges tok_visa once and replays the stored charge for the same key', async () => {
    const since = Date.now() - 1000;
    const key = newKey();
    const first = await invoke(chargeEvent(key, visa));
    expect(first.statusCode).toBe(201);
    expect(first.headers['Idempotent-Replayed']).toBeUndefined();
    const charge = chargeOf(first);
    expect(charge).toMatchObject({
      object: 'processor_charge',
      amount: 2500,
      currency: 'usd',
      source: 'tok_visa',
      description: 'Order 1042',
      metadata: {},
      amount_refunded: 0,
      status: 'succeeded',
      idempotency_key: key,
    });
    expect(charge.id).toMatch(/^pch_[0-9A-Z]{26}$/);

    const again = await invoke(chargeEvent(key, visa));
    expect(again.statusCode).toBe(201);
    expect(again.headers['Idempotent-Replayed']).toBe('true');
    expect(bodyOf(again)).toEqual(charge);
    expect(await chargesUnderKey(key, since)).toEqual([charge]);
  });

  it('treats the same parameters in another key order and spacing as the same request', async () => {
    const key = newKey();
    const first = chargeOf(await invoke(chargeEvent(key, visa)));
    const reordered = sandboxEvent({
      method: 'POST',
      headers: { 'Idempotency-Key': key },
      body: '{ "description": "Order 1042", "source": "tok_visa", "currency": "usd", "amount": 2500 }',
    });
    const replay = await invoke(reordered);
    expect(replay.headers['Idempotent-Replayed']).toBe('true');
    expect(chargeOf(replay).id).toBe(first.id);
  });

  it('declines tok_chargeDeclined with 402 and insufficient_funds, and replays the decline', async () => {
    const key = newKey();
    const declined = await invoke(chargeEvent(key, { ...visa, source: 'tok_chargeDeclined' }));
    expect(declined.statusCode).toBe(402);
    const charge = chargeOf(declined);
    expect(charge).toMatchObject({ status: 'declined', decline_code: 'insufficient_funds', idempotency_key: key });

    const again = await invoke(chargeEvent(key, { ...visa, source: 'tok_chargeDeclined' }));
    expect(again.statusCode).toBe(402);
    expect(again.headers['Idempotent-Replayed']).toBe('true');
    expect(bodyOf(again)).toEqual(charge);
  });

  it('answers tok_processor_error with 503 and stores nothing, so the key stays free', async () => {
    const since = Date.now() - 1000;
    const key = newKey();
    for (let attempt = 0; attempt < 2; attempt++) {
      const failed = await invoke(chargeEvent(key, { ...visa, source: 'tok_processor_error' }));
      expect(failed.statusCode).toBe(503);
      expect(failed.headers['Content-Type']).toBe('application/problem+json');
      expect(failed.headers['Retry-After']).toBe('1');
      expect(bodyOf(failed)).toMatchObject({ type: 'https://retrysafe.dev/problems/service-unavailable', status: 503 });
    }
    expect(await chargesUnderKey(key, since)).toEqual([]);
    // Nothing was stored under the key, so other parameters are a first request, not a reuse.
    expect((await invoke(chargeEvent(key, visa))).statusCode).toBe(201);
  });

  it('rejects a reused key with different parameters with 422 and keeps the first charge', async () => {
    const since = Date.now() - 1000;
    const key = newKey();
    const charge = chargeOf(await invoke(chargeEvent(key, visa)));
    const reused = await invoke(chargeEvent(key, { ...visa, amount: 2501 }));
    expect(reused.statusCode).toBe(422);
    expect(reused.headers['Content-Type']).toBe('application/problem+json');
    expect(bodyOf(reused)).toMatchObject({ type: 'https://retrysafe.dev/problems/idempotency-key-reused', charge: charge.id });
    expect(await chargesUnderKey(key, since)).toEqual([charge]);
  });

  it('creates exactly one charge from 50 concurrent identical requests', async () => {
    const since = Date.now() - 1000;
    const key = newKey();
    const responses = await Promise.all(Array.from({ length: 50 }, () => invoke(chargeEvent(key, visa))));
    const charges = await chargesUnderKey(key, since);
    expect(charges).toHaveLength(1);
    const [charge] = charges;
    const fresh = responses.filter((response) => response.statusCode === 201 && response.headers['Idempotent-Replayed'] === undefined);
    expect(fresh).toHaveLength(1);
    for (const response of responses) {
      expect([201, 409]).toContain(response.statusCode);
      if (response.statusCode === 201) expect(bodyOf(response)).toEqual(charge);
    }
  });
});

describe('sandbox processor: charge metadata', () => {
  const metadata = { retrysafe_account: 'acct_shop42', order: '1042' };

  it('stores the metadata with the charge, answers, replays and lists it', async () => {
    const since = Date.now() - 1000;
    const key = newKey();
    const first = await invoke(chargeEvent(key, { ...visa, metadata }));
    expect(first.statusCode).toBe(201);
    const charge = chargeOf(first);
    expect(charge.metadata).toEqual(metadata);
    expect(bodyOf(await invoke(chargeEvent(key, { ...visa, metadata: { order: '1042', retrysafe_account: 'acct_shop42' } })))).toEqual(
      charge,
    );
    expect(await chargesUnderKey(key, since)).toEqual([charge]);
  });

  it('makes the metadata part of the request: other metadata under the same key is a reuse (422)', async () => {
    const key = newKey();
    const charge = chargeOf(await invoke(chargeEvent(key, { ...visa, metadata })));
    for (const other of [{ ...metadata, order: '1043' }, {}, undefined]) {
      const reused = await invoke(chargeEvent(key, { ...visa, metadata: other }));
      expect(reused.statusCode).toBe(422);
      expect(bodyOf(reused)).toMatchObject({ type: 'https://retrysafe.dev/problems/idempotency-key-reused', charge: charge.id });
    }
  });

  it('takes metadata up to Stripe’s limits', async () => {
    const largest = Object.fromEntries(
      Array.from({ length: maxMetadataKeys }, (_, i) => [`${i}`.padStart(maxMetadataKeyLength, 'k'), 'v'.repeat(maxMetadataValueLength)]),
    );
    const response = await invoke(chargeEvent(newKey(), { ...visa, metadata: largest }));
    expect(response.statusCode).toBe(201);
    expect(chargeOf(response).metadata).toEqual(largest);
  });
});

describe('sandbox processor: the lost response (tok_timeout_after_charge)', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('stores the charge before the delayed answer and replays it at once to a retry', async () => {
    vi.stubEnv('SANDBOX_SLOW_RESPONSE_MS', '1234');
    const { serve, holds, firstIsHeld, release } = heldSlowAnswer();
    const since = Date.now() - 1000;
    const key = newKey();
    const slow = { ...visa, source: 'tok_timeout_after_charge' };

    const first = invoke(chargeEvent(key, slow), serve);
    await firstIsHeld;
    const [stored] = await chargesUnderKey(key, since);
    expect(stored).toMatchObject({ status: 'succeeded', source: 'tok_timeout_after_charge' });

    // The first request is still held; the retry must not wait for it.
    const retry = await invoke(chargeEvent(key, slow), serve);
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['Idempotent-Replayed']).toBe('true');
    expect(bodyOf(retry)).toEqual(stored);

    release();
    const late = await first;
    expect(late.statusCode).toBe(201);
    expect(bodyOf(late)).toEqual(stored);
    expect(holds).toEqual([1234]);
    expect(await chargesUnderKey(key, since)).toHaveLength(1);
  });

  it('holds the answer 7000 ms by default, longer than the client default of 5000 ms', () => {
    vi.stubEnv('SANDBOX_SLOW_RESPONSE_MS', undefined);
    vi.stubEnv('PROCESSOR_TIMEOUT_MS', undefined);
    expect(depsFromEnvironment().slowResponseMs).toBe(7000);
    expect(readSetting('PROCESSOR_TIMEOUT_MS')).toBe(5000);
  });
});

describe('sandbox processor: a key whose commit keeps meeting a concurrent transaction', () => {
  /** DynamoDB cancelling the commit's transaction as conflicting, the first `conflicts` times. */
  const contendedFor = (conflicts: number) => {
    let remaining = conflicts;
    return withCommitHook(() => {
      if (remaining-- <= 0) return Promise.resolve();
      throw new TransactionCanceledException({
        message: 'conflict',
        $metadata: {},
        CancellationReasons: [{ Code: 'TransactionConflict' }],
      });
    });
  };

  it('tries again and charges once the conflict clears', async () => {
    const response = await invoke(chargeEvent(newKey(), visa), contendedFor(2));
    expect(response.statusCode).toBe(201);
  });

  it('answers 503 with Retry-After when the conflict persists, having charged nothing and freed the key', async () => {
    const since = Date.now() - 1000;
    const key = newKey();
    const response = await invoke(chargeEvent(key, visa), contendedFor(Number.POSITIVE_INFINITY));
    expect(response.statusCode).toBe(503);
    expect(response.headers['Retry-After']).toBe('1');
    expect(bodyOf(response)).toMatchObject({ type: 'https://retrysafe.dev/problems/service-unavailable' });
    expect(await chargesUnderKey(key, since)).toEqual([]);
    expect((await invoke(chargeEvent(key, visa))).statusCode).toBe(201);
  });
});

describe('sandbox processor: bad input is a 400 problem, never a 500', () => {
  const expectProblem = async (event: Parameters<typeof handler>[0], status: number, slug: string, field?: string) => {
    const response = await invoke(event);
    expect(response.statusCode).toBe(status);
    expect(response.headers['Content-Type']).toBe('application/problem+json');
    const problem = bodyOf(response);
    expect(problem).toMatchObject({ type: `https://retrysafe.dev/problems/${slug}`, status });
    if (field !== undefined) expect(problem.field).toBe(field);
    expect(JSON.stringify(problem)).not.toMatch(/at .*\.ts:\d+/);
  };
  const post = (body: string, headers: Record<string, string> = { 'Idempotency-Key': newKey() }) =>
    sandboxEvent({ method: 'POST', headers, body });

  it('requires a valid Idempotency-Key', async () => {
    await expectProblem(post(JSON.stringify(visa), {}), 400, 'idempotency-key-missing');
    await expectProblem(post(JSON.stringify(visa), { 'Idempotency-Key': 'k'.repeat(256) }), 400, 'idempotency-key-invalid');
    await expectProblem(post(JSON.stringify(visa), { 'Idempotency-Key': '' }), 400, 'idempotency-key-invalid');
    await expectProblem(post(JSON.stringify(visa), { 'Idempotency-Key': 'clé' }), 400, 'idempotency-key-invalid');
  });

  it('validates the body', async () => {
    await expectProblem(post('{"amount": 25'), 400, 'validation-error');
    await expectProblem(post(''), 400, 'validation-error');
    await expectProblem(post('[]'), 400, 'validation-error');
    await expectProblem(post(JSON.stringify({ ...visa, amount: 25.5 })), 400, 'validation-error', 'amount');
    await expectProblem(post(JSON.stringify({ ...visa, amount: 0 })), 400, 'validation-error', 'amount');
    await expectProblem(post(JSON.stringify({ ...visa, amount: '2500' })), 400, 'validation-error', 'amount');
    await expectProblem(post(JSON.stringify({ ...visa, currency: 'USD' })), 400, 'validation-error', 'currency');
    await expectProblem(post(JSON.stringify({ amount: 100, currency: 'usd' })), 400, 'validation-error', 'source');
    await expectProblem(post(JSON.stringify({ ...visa, capture: true })), 400, 'validation-error', 'capture');
  });

  it('validates metadata against Stripe’s limits', async () => {
    const withMetadata = (metadata: unknown) => post(JSON.stringify({ ...visa, metadata }));
    const tooMany = Object.fromEntries(Array.from({ length: maxMetadataKeys + 1 }, (_, i) => [`key${i}`, 'v']));
    await expectProblem(withMetadata(tooMany), 400, 'validation-error', 'metadata');
    await expectProblem(withMetadata({ ['k'.repeat(maxMetadataKeyLength + 1)]: 'v' }), 400, 'validation-error');
    await expectProblem(withMetadata({ '': 'v' }), 400, 'validation-error');
    await expectProblem(withMetadata({ order: 'v'.repeat(maxMetadataValueLength + 1) }), 400, 'validation-error', 'metadata.order');
    await expectProblem(withMetadata({ order: 1042 }), 400, 'validation-error', 'metadata.order');
    await expectProblem(withMetadata(['order']), 400, 'validation-error', 'metadata');
  });

  it('answers an unknown token with 400 and stores nothing under the key', async () => {
    const key = newKey();
    await expectProblem(
      post(JSON.stringify({ ...visa, source: 'tok_bogus' }), { 'Idempotency-Key': key }),
      400,
      'validation-error',
      'source',
    );
    expect((await invoke(chargeEvent(key, visa))).statusCode).toBe(201);
  });

  it('refuses bodies that are not JSON', async () => {
    const event = sandboxEvent({
      method: 'POST',
      headers: { 'Idempotency-Key': newKey(), 'content-type': 'text/plain' },
      body: 'amount=1',
    });
    await expectProblem(event, 415, 'unsupported-media-type');
  });

  it('validates the listing parameters', async () => {
    await expectProblem(listEvent({ since: 'yesterday' }), 400, 'validation-error', 'since');
    await expectProblem(listEvent({ since: '-5' }), 400, 'validation-error', 'since');
    await expectProblem(listEvent({ limit: '0' }), 400, 'validation-error', 'limit');
    await expectProblem(listEvent({ limit: '101' }), 400, 'validation-error', 'limit');
    await expectProblem(listEvent({ limit: 'ten' }), 400, 'validation-error', 'limit');
    await expectProblem(listEvent({ cursor: 'pch_nope' }), 400, 'validation-error', 'cursor');
    await expectProblem(listEvent({ order: 'desc' }), 400, 'validation-error', 'order');
  });

  it('answers unknown routes 404 and other methods 405', async () => {
    await expectProblem(sandboxEvent({ method: 'GET', path: '/payouts' }), 404, 'not-found');
    const response = await invoke(sandboxEvent({ method: 'DELETE' }));
    expect(response.statusCode).toBe(405);
    expect(response.headers.Allow).toBe('GET, POST');
  });
});

describe('sandbox processor: GET /charges', () => {
  // A private window decades ahead keeps other suites' charges out of these pages.
  const { windowStart, serve, clock } = privateWindow();

  it('lists charges oldest first from `since`, paging with limit and cursor', async () => {
    const created: ProcessorCharge[] = [];
    for (let i = 0; i < 5; i++) {
      const source = i === 2 ? 'tok_chargeDeclined' : 'tok_visa';
      created.push(chargeOf(await invoke(chargeEvent(newKey(), { ...visa, amount: 100 + i, source }), serve)));
    }

    const first = listOf(await invoke(listEvent({ since: String(windowStart), limit: '2' }), serve));
    expect(first).toMatchObject({ object: 'list', has_more: true });
    expect(first.data).toEqual(created.slice(0, 2));
    expect(first.next_cursor).toBe(created[1]?.id);

    const second = listOf(await invoke(listEvent({ since: String(windowStart), limit: '2', cursor: first.next_cursor ?? '' }), serve));
    expect(second.data).toEqual(created.slice(2, 4));
    expect(second.data[0]).toMatchObject({ status: 'declined', decline_code: 'insufficient_funds' });

    const last = listOf(await invoke(listEvent({ since: String(windowStart), limit: '2', cursor: second.next_cursor ?? '' }), serve));
    expect(last).toMatchObject({ has_more: false, next_cursor: null });
    expect(last.data).toEqual(created.slice(4));
  });

  it('accepts `since` as an ISO 8601 date-time, inclusive of that instant', async () => {
    const charge = chargeOf(await invoke(chargeEvent(newKey(), visa), serve));
    const page = listOf(await invoke(listEvent({ since: new Date(charge.created).toISOString() }), serve));
    expect(page.data[0]).toEqual(charge);
  });

  it('defaults to pages of 10', async () => {
    const since = clock() + 1;
    for (let i = 0; i < 11; i++) await invoke(chargeEvent(newKey(), visa), serve);
    const page = listOf(await invoke(listEvent({ since: String(since) }), serve));
    expect(page.data).toHaveLength(10);
    expect(page.has_more).toBe(true);
  });
});
