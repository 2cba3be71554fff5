import type { Server } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ProcessorChargeRequest } from '../../lambdas/payments/processor-client/card-processor.js';
import { processorFromEnvironment } from '../../lambdas/payments/processor-client/from-environment.js';
import { sandboxProcessorClient } from '../../lambdas/payments/processor-client/sandbox-client.js';
import { sigV4Signer } from '../../lambdas/payments/processor-client/sigv4.js';
import { startFunctionUrl } from '../../local/function-url.js';
import { freePort } from '../../local/ports.js';
import { newKey } from './processor-events.js';
import { type StubServer, startStubServer } from './stub-server.js';

const charge = (source: string, idempotencyKey = newKey()): ProcessorChargeRequest => ({
  amount: 4200,
  currency: 'eur',
  source,
  description: 'client test',
  idempotencyKey,
});

const processorCharge = { id: 'pch_01JD0000000000000000000000', object: 'processor_charge', status: 'succeeded' };

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('sandbox processor client against the processor function URL', () => {
  let server: Server;
  let baseUrl: string;

  beforeAll(async () => {
    const port = await freePort();
    server = await startFunctionUrl('processor', port);
    baseUrl = `http://127.0.0.1:${port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  const client = () => sandboxProcessorClient({ baseUrl, timeoutMs: 10_000 });

  const listedUnderKey = async (key: string, since: number): Promise<{ id: string }[]> => {
    const response = await fetch(`${baseUrl}/charges?since=${since}&limit=100`);
    const page = (await response.json()) as { data: { id: string; idempotency_key: string }[]; has_more: boolean };
    return page.data.filter((listed) => listed.idempotency_key === key);
  };

  it('maps a successful charge to succeeded, and a retry with the same key to the same charge', async () => {
    const request = charge('tok_visa');
    const first = await client().charge(request);
    expect(first).toMatchObject({ kind: 'succeeded', replayed: false });
    const retry = await client().charge(request);
    expect(retry).toEqual(first.kind === 'succeeded' ? { ...first, replayed: true } : undefined);
  });

  it('maps a decline to declined with its decline code', async () => {
    const outcome = await client().charge(charge('tok_chargeDeclined'));
    expect(outcome).toMatchObject({ kind: 'declined', declineCode: 'insufficient_funds', replayed: false });
    if (outcome.kind === 'declined') expect(outcome.processorChargeId).toMatch(/^pch_/);
  });

  it('maps a 503 to unavailable(server-error) with the Retry-After it was given', async () => {
    expect(await client().charge(charge('tok_processor_error'))).toEqual({
      kind: 'unavailable',
      reason: 'server-error',
      retryAfterSeconds: 1,
      detail: 'HTTP 503',
    });
  });

  it('maps an unknown token to rejected(invalid-request) naming the source field', async () => {
    expect(await client().charge(charge('tok_bogus'))).toMatchObject({ kind: 'rejected', reason: 'invalid-request', field: 'source' });
  });

  it('maps a key reused with other parameters to rejected(idempotency-key-reused)', async () => {
    const request = charge('tok_visa');
    await client().charge(request);
    expect(await client().charge({ ...request, amount: 4201 })).toMatchObject({ kind: 'rejected', reason: 'idempotency-key-reused' });
  });

  it('reports a lost response as unavailable(timeout); the retry with the same key gets the stored charge', async () => {
    vi.stubEnv('SANDBOX_SLOW_RESPONSE_MS', '1500');
    vi.stubEnv('PROCESSOR_URL', baseUrl);
    vi.stubEnv('PROCESSOR_TIMEOUT_MS', '100');
    const since = Date.now() - 1000;
    const request = charge('tok_timeout_after_charge');

    const lost = await processorFromEnvironment().charge(request);
    expect(lost).toEqual({ kind: 'unavailable', reason: 'timeout', retryAfterSeconds: 1, detail: 'no response within 100 ms' });

    // The processor charged before it went quiet.
    await vi.waitFor(async () => {
      expect(await listedUnderKey(request.idempotencyKey, since)).toHaveLength(1);
    });
    const [stored] = await listedUnderKey(request.idempotencyKey, since);
    const retry = await client().charge(request);
    expect(retry).toEqual({ kind: 'succeeded', processorChargeId: stored?.id, replayed: true });
    expect(await listedUnderKey(request.idempotencyKey, since)).toHaveLength(1);
  });

  it('rejects with the caller’s reason when the caller aborts', async () => {
    vi.stubEnv('SANDBOX_SLOW_RESPONSE_MS', '1500');
    const controller = new AbortController();
    const pending = client().charge(charge('tok_timeout_after_charge'), controller.signal);
    controller.abort(new Error('Lambda deadline approaching'));
    await expect(pending).rejects.toThrow('Lambda deadline approaching');
  });

  it('maps a refused connection to unavailable(network)', async () => {
    const closedPort = await freePort();
    const outcome = await sandboxProcessorClient({ baseUrl: `http://127.0.0.1:${closedPort}`, timeoutMs: 10_000 }).charge(
      charge('tok_visa'),
    );
    expect(outcome).toMatchObject({ kind: 'unavailable', reason: 'network', retryAfterSeconds: 1 });
  });
});

describe('sandbox processor client: status mapping', () => {
  let stub: StubServer;
  beforeAll(async () => {
    stub = await startStubServer();
  });
  afterAll(() => stub.close());

  const outcomeFor = (status: number, body: string, headers: Record<string, string> = {}) => {
    stub.answer({ status, body, headers: { 'content-type': 'application/json', ...headers } });
    return sandboxProcessorClient({ baseUrl: stub.url, timeoutMs: 10_000 }).charge(charge('tok_visa'));
  };

  it('posts the charge with the key it was given, unsigned when no signer is configured', async () => {
    const request = charge('tok_visa', 'downstream-key-1');
    stub.answer({ status: 201, body: JSON.stringify(processorCharge) });
    await sandboxProcessorClient({ baseUrl: `${stub.url}/`, timeoutMs: 10_000 }).charge(request);
    const sent = stub.requests.at(-1);
    expect(sent).toMatchObject({ method: 'POST', path: '/charges' });
    expect(sent?.headers['idempotency-key']).toBe('downstream-key-1');
    expect(sent?.headers.authorization).toBeUndefined();
    expect(JSON.parse(sent?.body ?? '')).toEqual({ amount: 4200, currency: 'eur', source: 'tok_visa', description: 'client test' });
  });

  it('sends the metadata it is given with the charge', async () => {
    stub.answer({ status: 201, body: JSON.stringify(processorCharge) });
    const metadata = { retrysafe_account: 'acct_shop42', order: '1042' };
    await sandboxProcessorClient({ baseUrl: stub.url, timeoutMs: 10_000 }).charge({ ...charge('tok_visa'), metadata });
    expect(JSON.parse(stub.requests.at(-1)?.body ?? '')).toMatchObject({ source: 'tok_visa', metadata });
  });

  it('maps 409 to unavailable(conflict) with the server’s Retry-After', async () => {
    expect(await outcomeFor(409, '{}', { 'retry-after': '3' })).toMatchObject({
      kind: 'unavailable',
      reason: 'conflict',
      retryAfterSeconds: 3,
    });
  });

  it('maps 429 to unavailable(throttled)', async () => {
    expect(await outcomeFor(429, '{"message":"Rate Exceeded."}')).toMatchObject({ kind: 'unavailable', reason: 'throttled' });
  });

  it('maps a 403 from a misconfigured function URL to unavailable(server-error), not to a rejection', async () => {
    expect(await outcomeFor(403, '{"Message":"Forbidden"}')).toMatchObject({
      kind: 'unavailable',
      reason: 'server-error',
      detail: 'HTTP 403',
    });
  });

  it('maps a success status without a charge body to unavailable(invalid-response)', async () => {
    expect(await outcomeFor(201, '<html>gateway</html>')).toMatchObject({ kind: 'unavailable', reason: 'invalid-response' });
  });

  it('trusts the charge body over the status code', async () => {
    const declined = { ...processorCharge, status: 'declined', decline_code: 'insufficient_funds' };
    expect(await outcomeFor(200, JSON.stringify(declined), { 'idempotent-replayed': 'true' })).toEqual({
      kind: 'declined',
      processorChargeId: declined.id,
      declineCode: 'insufficient_funds',
      replayed: true,
    });
  });
});

describe('sandbox processor client: IAM auth', () => {
  let stub: StubServer;
  beforeAll(async () => {
    stub = await startStubServer();
    stub.answer({ status: 201, headers: { 'content-type': 'application/json' }, body: JSON.stringify(processorCharge) });
  });
  afterAll(() => stub.close());

  const credentials = {
    accessKeyId: 'AKIDEXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    sessionToken: 'session-token-example',
  };

  it('SigV4-signs for service lambda, and the signature matches the request as it arrived', async () => {
    const signRequest = sigV4Signer({ region: 'eu-west-1', credentials });
    await sandboxProcessorClient({ baseUrl: stub.url, timeoutMs: 10_000, signRequest }).charge(charge('tok_visa', 'signed-key'));
    const sent = stub.requests.at(-1);
    if (sent === undefined) throw new Error('no request reached the stub');
    const amzDate = String(sent.headers['x-amz-date']);
    expect(amzDate).toMatch(/^\d{8}T\d{6}Z$/);
    expect(sent.headers['x-amz-security-token']).toBe('session-token-example');
    const authorization = String(sent.headers.authorization);
    expect(authorization).toMatch(
      new RegExp(`^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/${amzDate.slice(0, 8)}/eu-west-1/lambda/aws4_request, `),
    );
    expect(authorization).toMatch(/SignedHeaders=[^,]*host;idempotency-key;[^,]*x-amz-date;x-amz-security-token/);

    // Re-sign what the server received (its Host included): the signatures agree.
    const verifier = new SignatureV4({ service: 'lambda', region: 'eu-west-1', credentials, sha256: Sha256 });
    const received = await verifier.sign(
      {
        method: sent.method,
        protocol: 'http:',
        hostname: '127.0.0.1',
        path: sent.path,
        headers: {
          host: String(sent.headers.host),
          'content-type': String(sent.headers['content-type']),
          'idempotency-key': String(sent.headers['idempotency-key']),
        },
        body: sent.body,
      },
      {
        signingDate: new Date(
          `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
        ),
      },
    );
    expect(received.headers.authorization).toBe(authorization);
  });

  it('signs with the default credential chain when PROCESSOR_AUTH=iam', async () => {
    vi.stubEnv('PROCESSOR_URL', stub.url);
    vi.stubEnv('PROCESSOR_AUTH', 'iam');
    vi.stubEnv('AWS_SESSION_TOKEN', 'token-from-environment');
    const outcome = await processorFromEnvironment().charge(charge('tok_visa'));
    expect(outcome).toMatchObject({ kind: 'succeeded' });
    const sent = stub.requests.at(-1);
    expect(sent?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=local\/\d{8}\/us-east-1\/lambda\/aws4_request/);
    expect(sent?.headers['x-amz-date']).toBeDefined();
    expect(sent?.headers['x-amz-security-token']).toBe('token-from-environment');
  });

  it('refuses an unknown PROCESSOR_AUTH and a missing PROCESSOR_URL', () => {
    vi.stubEnv('PROCESSOR_URL', stub.url);
    vi.stubEnv('PROCESSOR_AUTH', 'basic');
    expect(() => processorFromEnvironment()).toThrow(/PROCESSOR_AUTH/);
    vi.stubEnv('PROCESSOR_AUTH', undefined);
    vi.stubEnv('PROCESSOR_URL', undefined);
    expect(() => processorFromEnvironment()).toThrow(/PROCESSOR_URL/);
  });
});
