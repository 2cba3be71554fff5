import { describe, expect, it } from 'vitest';
import {
  isProblem,
  RetrysafeAbortError,
  RetrysafeConnectionError,
  RetrysafeProblemError,
  RetrysafeRetriesExhaustedError,
} from '../../clients/typescript/src/index.js';
import { jsonResponse, problemResponse, scriptedClient } from './fake-api.js';

const charge = { id: 'ch_1', object: 'charge', amount: 1_500, currency: 'usd', status: 'succeeded' };
const params = { amount: 1_500, currency: 'usd', source: 'tok_visa', metadata: { order: 'ord_1' } } as const;

describe('one Idempotency-Key per logical operation', () => {
  it('makes a key before the first attempt and sends it, with the same bytes, on every retry', async () => {
    const { client, seen } = scriptedClient([
      'network-error',
      problemResponse('idempotency-key-in-use', 409),
      problemResponse('processor-unavailable', 503),
      jsonResponse(201, charge, { 'Idempotent-Replayed': 'true' }),
    ]);
    const result = await client.charges.create(params);
    expect(seen).toHaveLength(4);
    expect(new Set(seen.map((request) => request.idempotencyKey))).toEqual(new Set([result.idempotencyKey]));
    expect(result.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(seen.map((request) => request.body))).toEqual(new Set([JSON.stringify(params)]));
    expect(result).toMatchObject({ data: charge, status: 201, replayed: true, attempts: 4 });
  });

  it('sends the caller’s key', async () => {
    const { client, seen } = scriptedClient([jsonResponse(201, charge)]);
    const result = await client.charges.create(params, { idempotencyKey: 'order-ord_1' });
    expect(seen[0]?.idempotencyKey).toBe('order-ord_1');
    expect(result).toMatchObject({ idempotencyKey: 'order-ord_1', replayed: false, attempts: 1 });
  });

  it('gives two logical operations two keys', async () => {
    const { client, seen } = scriptedClient([jsonResponse(201, charge), jsonResponse(201, charge)]);
    await client.charges.create(params);
    await client.charges.create(params);
    expect(seen[0]?.idempotencyKey).not.toBe(seen[1]?.idempotencyKey);
  });

  it('keys every POST, and no GET or DELETE', async () => {
    const { client, seen } = scriptedClient([
      jsonResponse(201, { id: 're_1' }),
      jsonResponse(202, { object: 'webhook_redrive' }),
      jsonResponse(200, { id: 'we_1' }),
      jsonResponse(201, { id: 'we_1' }),
      jsonResponse(200, charge),
      jsonResponse(200, { id: 'we_1', deleted: true }),
    ]);
    await client.refunds.create('ch_1', { amount: 100 });
    await client.webhookEndpoints.redrive('we_1');
    await client.webhookEndpoints.rotateSecret('we_1');
    await client.webhookEndpoints.create({ url: 'https://example.com/hook', enabled_events: ['*'] });
    await client.charges.retrieve('ch_1');
    await client.webhookEndpoints.delete('we_1');
    expect(seen.map((request) => [request.method, new URL(request.url).pathname, request.idempotencyKey !== null])).toEqual([
      ['POST', '/v1/charges/ch_1/refunds', true],
      ['POST', '/v1/webhook_endpoints/we_1/deliveries/redrive', true],
      ['POST', '/v1/webhook_endpoints/we_1/rotate_secret', true],
      ['POST', '/v1/webhook_endpoints', true],
      ['GET', '/v1/charges/ch_1', false],
      ['DELETE', '/v1/webhook_endpoints/we_1', false],
    ]);
  });
});

describe('retries', () => {
  it('backs off with full jitter and never sooner than Retry-After', async () => {
    const { client, sleeps } = scriptedClient(
      [
        problemResponse('service-unavailable', 503),
        problemResponse('rate-limited', 429, { 'Retry-After': '7' }),
        problemResponse('service-unavailable', 503),
        jsonResponse(200, charge),
      ],
      { retry: { baseDelayMs: 100, maxDelayMs: 10_000 } },
    );
    const result = await client.charges.retrieve('ch_1');
    // random() is 0.5: half of 100·2⁰, then Retry-After's 7 s over half of 100·2¹, then half of 100·2².
    expect(sleeps).toEqual([50, 7_000, 200]);
    expect(result.attempts).toBe(4);
  });

  it('retries GETs after a lost connection', async () => {
    const { client, seen } = scriptedClient(['network-error', jsonResponse(200, charge)]);
    expect((await client.charges.retrieve('ch_1')).data).toEqual(charge);
    expect(seen).toHaveLength(2);
  });

  it('retries an attempt that timed out, with the same key', async () => {
    const { client, seen } = scriptedClient(['hang', jsonResponse(201, charge, { 'Idempotent-Replayed': 'true' })], {
      retry: { attemptTimeoutMs: 5 },
    });
    const result = await client.charges.create(params);
    expect(result).toMatchObject({ replayed: true, attempts: 2 });
    expect(seen[0]?.idempotencyKey).toBe(seen[1]?.idempotencyKey);
  });

  it('does not retry a decline, and types its extensions', async () => {
    const declined = { ...charge, status: 'failed' };
    const { client, seen } = scriptedClient([
      problemResponse('card-declined', 402, {}, { decline_code: 'insufficient_funds', charge: declined }),
    ]);
    const error: unknown = await client.charges.create(params).catch((caught: unknown) => caught);
    expect(seen).toHaveLength(1);
    expect(isProblem(error, 'card-declined')).toBe(true);
    if (!isProblem(error, 'card-declined')) return;
    expect(error.problem.decline_code).toBe('insufficient_funds');
    expect(error.problem.charge.id).toBe('ch_1');
    expect(error).toMatchObject({ status: 402, attempts: 1, idempotencyKey: seen[0]?.idempotencyKey });
  });

  it('does not retry a 500 unless the server says so, and retries a 503 the server says not to retry only if it says so', async () => {
    const plain = scriptedClient([problemResponse('internal-error', 500)]);
    await expect(plain.client.balance.retrieve()).rejects.toBeInstanceOf(RetrysafeProblemError);
    expect(plain.seen).toHaveLength(1);

    const told = scriptedClient([problemResponse('internal-error', 500, { 'Retrysafe-Should-Retry': 'true' }), jsonResponse(200, {})]);
    expect((await told.client.balance.retrieve()).attempts).toBe(2);

    const forbidden = scriptedClient([problemResponse('service-unavailable', 503, { 'Retrysafe-Should-Retry': 'false' })]);
    await expect(forbidden.client.balance.retrieve()).rejects.toMatchObject({ slug: 'service-unavailable', attempts: 1 });
  });

  it('turns a body that is not a problem into an unknown problem', async () => {
    const { client } = scriptedClient([
      new Response('<html>Bad gateway</html>', { status: 502, headers: { 'Content-Type': 'text/html' } }),
    ]);
    await expect(client.balance.retrieve()).rejects.toMatchObject({ slug: 'unknown', status: 502 });
  });

  it('gives up when the next wait would pass the elapsed-time budget, and says what failed last', async () => {
    let clock = 0;
    const { client, seen } = scriptedClient(
      [problemResponse('rate-limited', 429, { 'Retry-After': '2' }), problemResponse('rate-limited', 429, { 'Retry-After': '2' })],
      {
        retry: { maxElapsedMs: 3_000 },
        now: () => clock,
        sleep: async (ms) => {
          clock += ms;
        },
      },
    );
    const error: unknown = await client.charges.create(params).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RetrysafeRetriesExhaustedError);
    if (!(error instanceof RetrysafeRetriesExhaustedError)) return;
    expect(seen).toHaveLength(2);
    expect(error.attempts).toBe(2);
    expect(error.idempotencyKey).toBe(seen[0]?.idempotencyKey);
    expect(isProblem(error.lastError, 'rate-limited')).toBe(true);
  });

  it('reports a connection that kept failing as the last error', async () => {
    let clock = 0;
    const { client } = scriptedClient(['network-error', 'network-error'], {
      retry: { maxElapsedMs: 1_000, baseDelayMs: 1_000 },
      random: () => 0.9,
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
      },
    });
    const error: unknown = await client.balance.retrieve().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RetrysafeRetriesExhaustedError);
    expect((error as RetrysafeRetriesExhaustedError).lastError).toBeInstanceOf(RetrysafeConnectionError);
    expect((error as RetrysafeRetriesExhaustedError).lastError).toMatchObject({ reason: 'network' });
  });
});

describe('abort', () => {
  it('cancels the attempt in flight', async () => {
    const controller = new AbortController();
    const { client, seen } = scriptedClient(['hang']);
    const pending = client.charges.create(params, { signal: controller.signal });
    await expect.poll(() => seen.length).toBe(1);
    controller.abort();
    const error: unknown = await pending.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RetrysafeAbortError);
    expect(error).toMatchObject({ attempts: 1, idempotencyKey: seen[0]?.idempotencyKey });
  });

  it('cancels the backoff sleep, and sends no further attempt', async () => {
    const controller = new AbortController();
    let sleeping: () => void = () => undefined;
    const { client, seen } = scriptedClient([problemResponse('service-unavailable', 503), jsonResponse(200, charge)], {
      sleep: (_ms, signal) =>
        new Promise((_resolve, reject) => {
          signal?.addEventListener('abort', () => {
            reject(signal.reason as Error);
          });
          sleeping();
        }),
    });
    const asleep = new Promise<void>((resolve) => {
      sleeping = resolve;
    });
    const pending = client.charges.retrieve('ch_1', { signal: controller.signal });
    await asleep;
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(RetrysafeAbortError);
    expect(seen).toHaveLength(1);
  });

  it('sends nothing when already aborted', async () => {
    const { client, seen } = scriptedClient([jsonResponse(200, charge)]);
    await expect(client.charges.retrieve('ch_1', { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(RetrysafeAbortError);
    expect(seen).toHaveLength(0);
  });
});

describe('results', () => {
  it('carries the rate-limit state', async () => {
    const { client } = scriptedClient([
      jsonResponse(200, charge, { 'RateLimit-Policy': '"default";q=100;w=60', RateLimit: '"default";r=99;t=1' }),
    ]);
    expect((await client.charges.retrieve('ch_1')).rateLimit).toMatchObject({ quota: 100, remaining: 99 });
  });

  it('pages through a list with starting_after until has_more is false', async () => {
    const page = (ids: string[], hasMore: boolean) =>
      jsonResponse(200, { object: 'list', url: '/v1/charges', data: ids.map((id) => ({ ...charge, id })), has_more: hasMore });
    const { client, seen } = scriptedClient([page(['ch_3', 'ch_2'], true), page(['ch_1'], false)]);
    const ids: string[] = [];
    for await (const each of client.charges.listAll()) ids.push(each.id);
    expect(ids).toEqual(['ch_3', 'ch_2', 'ch_1']);
    expect(seen.map((request) => new URL(request.url).search)).toEqual(['', '?starting_after=ch_2']);
  });

  it('percent-encodes an idempotency key in the path', async () => {
    const { client, seen } = scriptedClient([jsonResponse(200, { object: 'idempotency_key' })]);
    await client.idempotencyKeys.retrieve('order/1 2?');
    expect(new URL(seen[0]?.url ?? '').pathname).toBe('/v1/idempotency_keys/order%2F1%202%3F');
  });
});
