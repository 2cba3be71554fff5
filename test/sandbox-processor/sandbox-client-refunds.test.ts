import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type {
  ProcessorChargeId,
  ProcessorChargeRequest,
  ProcessorRefundRequest,
} from '../../lambdas/payments/processor-client/card-processor.js';
import { processorFromEnvironment } from '../../lambdas/payments/processor-client/from-environment.js';
import { sandboxProcessorClient } from '../../lambdas/payments/processor-client/sandbox-client.js';
import { newKey } from './processor-events.js';
import { useProcessorUrl } from './processor-url.js';
import { type StubServer, startStubServer } from './stub-server.js';

const chargeRequest = (source = 'tok_visa'): ProcessorChargeRequest => ({
  amount: 3000,
  currency: 'usd',
  source,
  idempotencyKey: newKey(),
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('sandbox processor client: refund, against the processor function URL', () => {
  const baseUrl = useProcessorUrl();
  const client = () => sandboxProcessorClient({ baseUrl: baseUrl(), timeoutMs: 10_000 });

  const chargedWith = async (source = 'tok_visa'): Promise<ProcessorChargeId> => {
    const outcome = await client().charge(chargeRequest(source));
    if (outcome.kind !== 'succeeded' && outcome.kind !== 'declined') throw new Error(`charge failed: ${JSON.stringify(outcome)}`);
    return outcome.processorChargeId;
  };

  const refundOf = (processorChargeId: ProcessorChargeId, amount = 1000): ProcessorRefundRequest => ({
    processorChargeId,
    amount,
    idempotencyKey: newKey(),
    metadata: { retrysafe_account: 'acct_client' },
  });

  it('maps a refund to succeeded, and a retry with the same key to the same refund', async () => {
    const request = refundOf(await chargedWith());
    const first = await client().refund(request);
    expect(first).toMatchObject({ kind: 'succeeded', replayed: false });
    if (first.kind === 'succeeded') expect(first.processorRefundId).toMatch(/^pre_/);
    expect(await client().refund(request)).toEqual({ ...first, replayed: true });
  });

  it('maps more than remains to rejected(amount-too-large)', async () => {
    const charge = await chargedWith();
    expect(await client().refund(refundOf(charge, 2000))).toMatchObject({ kind: 'succeeded' });
    expect(await client().refund(refundOf(charge, 1001))).toMatchObject({ kind: 'rejected', reason: 'amount-too-large' });
  });

  it('maps an unknown charge to rejected(charge-not-found) and a declined one to rejected(charge-not-refundable)', async () => {
    const unknown = 'pch_01JD0000000000000000000000' as ProcessorChargeId;
    expect(await client().refund(refundOf(unknown))).toMatchObject({ kind: 'rejected', reason: 'charge-not-found', field: 'charge' });
    expect(await client().refund(refundOf(await chargedWith('tok_chargeDeclined')))).toMatchObject({
      kind: 'rejected',
      reason: 'charge-not-refundable',
    });
  });

  it('maps a key reused with other parameters to rejected(idempotency-key-reused), and a malformed id to invalid-request', async () => {
    const request = refundOf(await chargedWith());
    await client().refund(request);
    expect(await client().refund({ ...request, amount: 999 })).toMatchObject({ kind: 'rejected', reason: 'idempotency-key-reused' });
    expect(await client().refund(refundOf('ch_123' as ProcessorChargeId))).toMatchObject({
      kind: 'rejected',
      reason: 'invalid-request',
      field: 'charge',
    });
  });

  it('reports a lost refund response as unavailable(timeout); the refund is found under its key, and the retry gets it', async () => {
    vi.stubEnv('SANDBOX_SLOW_RESPONSE_MS', '1500');
    vi.stubEnv('PROCESSOR_URL', baseUrl());
    vi.stubEnv('PROCESSOR_TIMEOUT_MS', '100');
    const request = refundOf(await chargedWith('tok_timeout_after_refund'));

    expect(await processorFromEnvironment().refund(request)).toEqual({
      kind: 'unavailable',
      reason: 'timeout',
      retryAfterSeconds: 1,
      detail: 'no response within 100 ms',
    });
    // The processor stores the refund before it goes quiet; a lookup sooner than that is told "in progress" (or, before the
    // request has even reached the processor, "absent"), so it asks again.
    const found = await vi.waitFor(async () => {
      const lookup = await client().findRefund(request.idempotencyKey);
      if (lookup.kind !== 'found') throw new Error(`not found yet: ${lookup.kind}`);
      return lookup;
    });
    expect(found.object).toMatchObject({ processorChargeId: request.processorChargeId, amount: 1000, metadata: request.metadata });
    const retry = await client().refund(request);
    expect(retry).toEqual({ kind: 'succeeded', processorRefundId: found.object.id, replayed: true });
  });
});

describe('sandbox processor client: refund status mapping', () => {
  let stub: StubServer;
  beforeAll(async () => {
    stub = await startStubServer();
  });
  afterAll(() => stub.close());

  const processorRefund = {
    id: 'pre_01JD0000000000000000000000',
    object: 'processor_refund',
    charge: 'pch_01JD0000000000000000000000',
    amount: 500,
    currency: 'usd',
    status: 'succeeded',
    metadata: {},
    idempotency_key: 'refund-key-1',
    created: 1_800_000_000_000,
  };
  const request: ProcessorRefundRequest = {
    processorChargeId: processorRefund.charge as ProcessorChargeId,
    amount: 500,
    idempotencyKey: 'refund-key-1',
  };
  const problem = (slug: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ type: `https://retrysafe.dev/problems/${slug}`, title: slug, detail: `${slug} detail`, ...extra });

  const outcomeFor = (status: number, body: string, headers: Record<string, string> = {}) => {
    stub.answer({ status, body, headers: { 'content-type': 'application/json', ...headers } });
    return sandboxProcessorClient({ baseUrl: stub.url, timeoutMs: 10_000 }).refund(request);
  };

  it('posts the refund to /refunds with the key it was given', async () => {
    await outcomeFor(201, JSON.stringify(processorRefund));
    const sent = stub.requests.at(-1);
    expect(sent).toMatchObject({ method: 'POST', path: '/refunds' });
    expect(sent?.headers['idempotency-key']).toBe('refund-key-1');
    expect(JSON.parse(sent?.body ?? '')).toEqual({ charge: processorRefund.charge, amount: 500 });
  });

  it('maps the refusals by their problem type', async () => {
    expect(await outcomeFor(400, problem('amount-too-large'))).toEqual({
      kind: 'rejected',
      reason: 'amount-too-large',
      detail: 'amount-too-large detail',
    });
    expect(await outcomeFor(400, problem('charge-not-refundable'))).toMatchObject({ kind: 'rejected', reason: 'charge-not-refundable' });
    expect(await outcomeFor(400, problem('validation-error', { field: 'amount' }))).toMatchObject({
      kind: 'rejected',
      reason: 'invalid-request',
      field: 'amount',
    });
    expect(await outcomeFor(422, problem('idempotency-key-reused'))).toMatchObject({ kind: 'rejected', reason: 'idempotency-key-reused' });
    expect(await outcomeFor(404, problem('not-found', { field: 'charge' }))).toMatchObject({
      kind: 'rejected',
      reason: 'charge-not-found',
    });
  });

  it('maps a 404 that does not name the charge (a processor without the route) to unavailable(server-error)', async () => {
    expect(await outcomeFor(404, problem('not-found'))).toMatchObject({ kind: 'unavailable', reason: 'server-error', detail: 'HTTP 404' });
  });

  it('maps 409, 429 and 5xx to unavailable, with the server’s Retry-After', async () => {
    expect(await outcomeFor(409, problem('idempotency-key-in-use'), { 'retry-after': '4' })).toMatchObject({
      kind: 'unavailable',
      reason: 'conflict',
      retryAfterSeconds: 4,
    });
    expect(await outcomeFor(429, '{}')).toMatchObject({ kind: 'unavailable', reason: 'throttled' });
    expect(await outcomeFor(503, problem('service-unavailable'))).toMatchObject({ kind: 'unavailable', reason: 'server-error' });
  });

  it('maps a success status without a refund body to unavailable(invalid-response)', async () => {
    expect(await outcomeFor(201, JSON.stringify({ ...processorRefund, object: 'processor_charge' }))).toMatchObject({
      kind: 'unavailable',
      reason: 'invalid-response',
    });
  });

  it('reports a response whose body never arrives as unavailable(timeout)', async () => {
    stub.answer({ status: 201, body: '', withholdBody: true });
    expect(await sandboxProcessorClient({ baseUrl: stub.url, timeoutMs: 100 }).refund(request)).toMatchObject({
      kind: 'unavailable',
      reason: 'timeout',
    });
  });
});
