import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  CardProcessor,
  ProcessorChargeId,
  ProcessorChargeRequest,
  ProcessorListCursor,
  ProcessorListQuery,
  ProcessorPage,
  ProcessorUnavailable,
} from '../../lambdas/payments/processor-client/card-processor.js';
import { sandboxProcessorClient } from '../../lambdas/payments/processor-client/sandbox-client.js';
import { sigV4Signer } from '../../lambdas/payments/processor-client/sigv4.js';
import { chargeEvent, newKey } from './processor-events.js';
import { useProcessorUrl } from './processor-url.js';
import { heldAtCommit, invoke } from './sandbox-harness.js';
import { type StubServer, startStubServer } from './stub-server.js';

const chargeRequest = (source = 'tok_visa'): ProcessorChargeRequest => ({
  amount: 5000,
  currency: 'gbp',
  source,
  description: 'lookup test',
  metadata: { retrysafe_account: 'acct_lookups', order: '7' },
  idempotencyKey: newKey(),
});

/** Every object of a listing walk from `since`, page by page, whose key is one of `keys`. */
const walk = async <T extends { idempotencyKey: string }>(
  list: (query: ProcessorListQuery) => Promise<ProcessorPage<T> | ProcessorUnavailable>,
  since: number,
  keys: readonly string[],
): Promise<T[]> => {
  const found: T[] = [];
  let cursor: ProcessorListCursor | undefined;
  do {
    const page = await list({ since, limit: 2, ...(cursor === undefined ? {} : { cursor }) });
    if (page.kind !== 'page') throw new Error(`listing unavailable: ${page.detail}`);
    expect(page.objects.length).toBeLessThanOrEqual(2);
    found.push(...page.objects.filter((object) => keys.includes(object.idempotencyKey)));
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return found;
};

describe('sandbox processor client: lookups and listings, against the processor function URL', () => {
  const baseUrl = useProcessorUrl();
  const client = (): CardProcessor => sandboxProcessorClient({ baseUrl: baseUrl(), timeoutMs: 10_000 });

  const charged = async (request = chargeRequest()): Promise<ProcessorChargeId> => {
    const outcome = await client().charge(request);
    if (outcome.kind !== 'succeeded' && outcome.kind !== 'declined') throw new Error(`charge failed: ${JSON.stringify(outcome)}`);
    return outcome.processorChargeId;
  };

  it('finds the charge created under a key, with its metadata, and its amount refunded as it stands', async () => {
    const request = chargeRequest();
    const id = await charged(request);
    expect(await client().findCharge(request.idempotencyKey)).toEqual({
      kind: 'found',
      object: {
        id,
        status: 'succeeded',
        amount: 5000,
        currency: 'gbp',
        amountRefunded: 0,
        source: request.source,
        description: request.description,
        metadata: request.metadata,
        idempotencyKey: request.idempotencyKey,
        createdAtMs: expect.any(Number) as number,
      },
    });
    await client().refund({ processorChargeId: id, amount: 1250, idempotencyKey: newKey() });
    expect(await client().findCharge(request.idempotencyKey)).toMatchObject({ kind: 'found', object: { amountRefunded: 1250 } });
  });

  it('finds a declined charge with its decline code', async () => {
    const request = chargeRequest('tok_chargeDeclined');
    await charged(request);
    expect(await client().findCharge(request.idempotencyKey)).toMatchObject({
      kind: 'found',
      object: { status: 'declined', declineCode: 'insufficient_funds' },
    });
  });

  it('answers absent for a key never used, and for one whose charge failed without charging', async () => {
    expect(await client().findCharge(newKey())).toEqual({ kind: 'absent' });
    const failed = chargeRequest('tok_processor_error');
    expect(await client().charge(failed)).toMatchObject({ kind: 'unavailable', reason: 'server-error' });
    expect(await client().findCharge(failed.idempotencyKey)).toEqual({ kind: 'absent' });
  });

  it('answers unavailable(conflict), never absent, while the key’s request is in progress', async () => {
    const key = newKey();
    const held = heldAtCommit();
    const charging = invoke(chargeEvent(key, { amount: 100, currency: 'usd', source: 'tok_visa' }), held.serve);
    await held.reached;
    expect(await client().findCharge(key)).toMatchObject({ kind: 'unavailable', reason: 'conflict', retryAfterSeconds: 1 });
    held.release();
    await charging;
    expect(await client().findCharge(key)).toMatchObject({ kind: 'found' });
  });

  it('finds the refund created under a key, and answers absent for a refused refund', async () => {
    const charge = await charged();
    const key = newKey();
    const refund = await client().refund({ processorChargeId: charge, amount: 700, idempotencyKey: key, metadata: { refund: 'r1' } });
    if (refund.kind !== 'succeeded') throw new Error(`refund failed: ${JSON.stringify(refund)}`);
    expect(await client().findRefund(key)).toEqual({
      kind: 'found',
      object: {
        id: refund.processorRefundId,
        processorChargeId: charge,
        amount: 700,
        currency: 'gbp',
        status: 'succeeded',
        metadata: { refund: 'r1' },
        idempotencyKey: key,
        createdAtMs: expect.any(Number) as number,
      },
    });
    const refused = newKey();
    expect(await client().refund({ processorChargeId: charge, amount: 99_999, idempotencyKey: refused })).toMatchObject({
      kind: 'rejected',
    });
    expect(await client().findRefund(refused)).toEqual({ kind: 'absent' });
  });

  it('walks charges and refunds oldest first, page by page, until no cursor is handed out', async () => {
    const since = Date.now() - 1000;
    const requests = [chargeRequest(), chargeRequest(), chargeRequest()];
    const ids: ProcessorChargeId[] = [];
    for (const request of requests) ids.push(await charged(request));
    const charges = await walk(
      (query) => client().listCharges(query),
      since,
      requests.map((request) => request.idempotencyKey),
    );
    expect(charges.map((charge) => charge.id)).toEqual(ids);

    const [refunded] = ids;
    if (refunded === undefined) throw new Error('no charge to refund');
    const refundKeys = [newKey(), newKey()];
    for (const key of refundKeys) await client().refund({ processorChargeId: refunded, amount: 100, idempotencyKey: key });
    const refunds = await walk((query) => client().listRefunds(query), since, refundKeys);
    expect(refunds.map((refund) => refund.idempotencyKey)).toEqual(refundKeys);
  });
});

describe('sandbox processor client: lookup and listing status mapping', () => {
  let stub: StubServer;
  beforeAll(async () => {
    stub = await startStubServer();
  });
  afterAll(() => stub.close());

  const client = () => sandboxProcessorClient({ baseUrl: stub.url, timeoutMs: 10_000 });
  const processorCharge = {
    id: 'pch_01JD0000000000000000000000',
    object: 'processor_charge',
    status: 'succeeded',
    amount: 100,
    currency: 'usd',
    amount_refunded: 0,
    source: 'tok_visa',
    description: null,
    metadata: {},
    idempotency_key: 'key-1',
    created: 1_800_000_000_000,
  };
  const list = (data: unknown[], more: { has_more: boolean; next_cursor: string | null } = { has_more: false, next_cursor: null }) =>
    JSON.stringify({ object: 'list', data, ...more });
  const answer = (status: number, body: string, headers: Record<string, string> = {}) => {
    stub.answer({ status, body, headers: { 'content-type': 'application/json', ...headers } });
  };

  it('asks GET /charges?idempotency_key= and /refunds?idempotency_key=, unsigned without a signer', async () => {
    answer(200, list([]));
    expect(await client().findCharge('key 1/é')).toEqual({ kind: 'absent' });
    expect(stub.requests.at(-1)).toMatchObject({ method: 'GET', path: '/charges?idempotency_key=key+1%2F%C3%A9', body: '' });
    await client().findRefund('key-2');
    expect(stub.requests.at(-1)).toMatchObject({ method: 'GET', path: '/refunds?idempotency_key=key-2' });
    expect(stub.requests.at(-1)?.headers.authorization).toBeUndefined();
  });

  it('maps a 409 for a request in progress to unavailable(conflict) with its Retry-After', async () => {
    answer(409, '{}', { 'retry-after': '2' });
    expect(await client().findCharge('key-1')).toMatchObject({ kind: 'unavailable', reason: 'conflict', retryAfterSeconds: 2 });
  });

  it('never concludes absent from anything but a 200 list', async () => {
    answer(400, '{}');
    expect(await client().findCharge('key-1')).toMatchObject({ kind: 'unavailable', reason: 'server-error' });
    answer(404, '{}');
    expect(await client().findRefund('key-1')).toMatchObject({ kind: 'unavailable', reason: 'server-error' });
    answer(200, '{"object":"list"}');
    expect(await client().findCharge('key-1')).toMatchObject({ kind: 'unavailable', reason: 'invalid-response' });
  });

  it('trusts a found object only when it is the one object, created under the key asked about', async () => {
    answer(200, list([processorCharge]));
    expect(await client().findCharge('key-1')).toMatchObject({ kind: 'found', object: { id: processorCharge.id } });
    expect(await client().findCharge('key-2')).toMatchObject({ kind: 'unavailable', reason: 'invalid-response' });
    answer(200, list([processorCharge, processorCharge]));
    expect(await client().findCharge('key-1')).toMatchObject({ kind: 'unavailable', reason: 'invalid-response' });
  });

  it('lists with since, cursor and limit, and hands the next cursor on only while there is more', async () => {
    answer(200, list([processorCharge], { has_more: true, next_cursor: processorCharge.id }));
    const page = await client().listCharges({ since: 1_800_000_000_000, cursor: 'pch_01JC' as ProcessorListCursor, limit: 1 });
    expect(page).toMatchObject({ kind: 'page', nextCursor: processorCharge.id, objects: [{ id: processorCharge.id, amountRefunded: 0 }] });
    expect(stub.requests.at(-1)?.path).toBe('/charges?since=1800000000000&cursor=pch_01JC&limit=1');

    answer(200, list([], { has_more: false, next_cursor: null }));
    expect(await client().listRefunds({ limit: 10 })).toEqual({ kind: 'page', objects: [], nextCursor: undefined });
    expect(stub.requests.at(-1)?.path).toBe('/refunds?limit=10');
  });

  it('maps a listing that cannot be continued or read to unavailable', async () => {
    answer(200, list([processorCharge], { has_more: true, next_cursor: null }));
    expect(await client().listCharges({ limit: 1 })).toMatchObject({ kind: 'unavailable', reason: 'invalid-response' });
    answer(500, '');
    expect(await client().listCharges({ limit: 1 })).toMatchObject({ kind: 'unavailable', reason: 'server-error' });
    answer(429, '');
    expect(await client().listRefunds({ limit: 1 })).toMatchObject({ kind: 'unavailable', reason: 'throttled' });
  });

  it('reports a lookup whose body never arrives as unavailable(timeout)', async () => {
    stub.answer({ status: 200, body: '', withholdBody: true });
    expect(await sandboxProcessorClient({ baseUrl: stub.url, timeoutMs: 100 }).findCharge('key-1')).toMatchObject({
      kind: 'unavailable',
      reason: 'timeout',
    });
  });

  it('SigV4-signs a GET with its query, and the signature matches the request as it arrived', async () => {
    const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
    answer(200, list([]));
    const signRequest = sigV4Signer({ region: 'eu-west-1', credentials });
    await sandboxProcessorClient({ baseUrl: stub.url, timeoutMs: 10_000, signRequest }).findRefund('signed key');
    const sent = stub.requests.at(-1);
    if (sent === undefined) throw new Error('no request reached the stub');
    const authorization = String(sent.headers.authorization);
    expect(authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/lambda\/aws4_request, /);

    const amzDate = String(sent.headers['x-amz-date']);
    const url = new URL(sent.path, stub.url);
    const verifier = new SignatureV4({ service: 'lambda', region: 'eu-west-1', credentials, sha256: Sha256 });
    const received = await verifier.sign(
      {
        method: sent.method,
        protocol: 'http:',
        hostname: '127.0.0.1',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: { host: String(sent.headers.host) },
        body: sent.body,
      },
      { signingDate: new Date(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z')) },
    );
    expect(received.headers.authorization).toBe(authorization);
  });
});
