import type { Server } from 'node:http';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiGateway } from '../../local/api-gateway.js';
import { startFunctionUrl } from '../../local/function-url.js';
import { freePort } from '../../local/ports.js';
import { functionUrlEvent, restApiEvent } from '../../local/proxy-events.js';
import { createTenant, type TestTenant } from '../support/tenants.js';

interface RawAnswer {
  readonly status: number;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: string;
}

/** Sends bytes as written, which fetch would refuse or normalize, and reads the answer until the server closes. */
const sendRaw = (port: number, request: string | Buffer): Promise<RawAnswer> =>
  new Promise((resolveAnswer, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n', 2);
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = new Map(
        lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
      );
      resolveAnswer({ status: Number(statusLine.split(' ')[1]), headers, body });
    });
  });

const get = (path: string, headers: readonly string[] = []): string =>
  `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${headers.map((header) => `${header}\r\n`).join('')}\r\n`;

const problemSlug = (answer: RawAnswer): string => {
  expect(answer.headers.get('content-type')).toBe('application/problem+json');
  return (JSON.parse(answer.body) as { type: string }).type.replace('https://retrysafe.dev/problems/', '');
};

describe('local API Gateway: bad input at the edge', () => {
  let server: Server;
  let processor: Server;
  let port: number;
  let baseUrl: string;
  let tenant: TestTenant;

  beforeAll(async () => {
    const processorPort = await freePort();
    processor = await startFunctionUrl('processor', processorPort);
    // Read when the charges handler builds its processor client, on its first request.
    process.env.PROCESSOR_URL = `http://127.0.0.1:${processorPort}`;
    port = await freePort();
    server = await startApiGateway({ port });
    baseUrl = `http://127.0.0.1:${port}`;
    tenant = await createTenant();
  });
  afterAll(() => {
    for (const open of [server, processor]) {
      open.closeAllConnections();
      open.close();
    }
  });

  describe.each(['constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty'])('the name %s', (name) => {
    it('as a header gives the ordinary answer, unauthenticated and authenticated', async () => {
      expect(problemSlug(await sendRaw(port, get('/v1/balance', [`${name}: x`])))).toBe('unauthorized');
      const authenticated = await sendRaw(port, get('/v1/balance', [`${name}: x`, `${name}: y`, `Authorization: Bearer ${tenant.apiKey}`]));
      expect(authenticated.status).toBe(200);
      expect(JSON.parse(authenticated.body)).toMatchObject({ object: 'balance' });
    });

    it('as a query parameter gives the answer any unknown parameter gets', async () => {
      expect(problemSlug(await sendRaw(port, get(`/v1/charges?${name}=x`)))).toBe('unauthorized');
      const answer = async (parameter: string) => {
        const raw = await sendRaw(port, get(`/v1/charges?${parameter}=x&${parameter}=y`, [`Authorization: Bearer ${tenant.apiKey}`]));
        return { status: raw.status, slug: problemSlug(raw) };
      };
      expect(await answer(name)).toEqual(await answer('unknown_parameter'));
    });
  });

  it('answers malformed percent-encoding in the path with a 400 problem', async () => {
    for (const path of ['/v1/charges/%ff', '/v1/charges/%E0%A4%A', '/%']) {
      const answer = await sendRaw(port, get(path, [`Authorization: Bearer ${tenant.apiKey}`]));
      expect(answer.status).toBe(400);
      expect(problemSlug(answer)).toBe('malformed-request');
    }
  });

  it('answers what Node refuses before any handler as problem+json, not with an empty body', async () => {
    const oversized = await sendRaw(port, get('/v1/charges', [`X-Padding: ${'a'.repeat(20_000)}`]));
    expect(oversized.status).toBe(431);
    expect(problemSlug(oversized)).toBe('headers-too-large');

    const controlCharacter = await sendRaw(port, get('/v1/charges', ['X-Note: a\u0001b']));
    expect(controlCharacter.status).toBe(400);
    expect(problemSlug(controlCharacter)).toBe('malformed-request');

    const smuggled = await sendRaw(
      port,
      'POST /v1/charges HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    );
    expect(smuggled.status).toBe(400);
    expect(problemSlug(smuggled)).toBe('malformed-request');
    expect(JSON.parse(smuggled.body)).toMatchObject({ detail: expect.stringContaining('Transfer-Encoding') as string });

    const noHost = await sendRaw(port, 'GET /health HTTP/1.1\r\nConnection: close\r\n\r\n');
    expect(noHost.status).toBe(400);
    expect(problemSlug(noHost)).toBe('malformed-request');
  });

  it('refuses two Authorization headers, whichever of them is valid', async () => {
    for (const order of [
      [`Authorization: Bearer ${tenant.apiKey}`, 'Authorization: Bearer sk_test_other'],
      ['Authorization: Bearer sk_test_other', `Authorization: Bearer ${tenant.apiKey}`],
      [`Authorization: Bearer ${tenant.apiKey}`, `authorization: Bearer ${tenant.apiKey}`],
    ]) {
      const answer = await sendRaw(port, get('/v1/balance', order));
      expect(answer.status).toBe(400);
      expect(problemSlug(answer)).toBe('malformed-request');
    }
  });

  it('answers a gzip-encoded body with 415 and the codings it accepts', async () => {
    const response = await fetch(`${baseUrl}/v1/charges`, {
      method: 'POST',
      headers: {
        ...tenant.authorization,
        'Idempotency-Key': crypto.randomUUID(),
        'Content-Type': 'application/json',
        'Content-Encoding': 'gzip',
      },
      body: gzipSync(JSON.stringify({ amount: 100, currency: 'usd', source: 'tok_visa' })),
    });
    expect(response.status).toBe(415);
    expect(response.headers.get('accept-encoding')).toBe('identity');
    expect(await response.json()).toMatchObject({ type: 'https://retrysafe.dev/problems/unsupported-media-type' });
  });
});

describe('proxy events: names are data', () => {
  const names = { ['__proto__']: ['a', 'b'], constructor: 'c' };

  it('keeps prototype names as own members of every map, as a deployed event JSON.parse gives them', () => {
    const event = restApiEvent({ method: 'GET', headers: names, query: names });
    for (const map of [event.headers, event.multiValueHeaders, event.queryStringParameters, event.multiValueQueryStringParameters]) {
      expect(Object.getPrototypeOf(map)).toBe(Object.prototype);
      expect(Object.keys(map ?? {})).toEqual(['__proto__', 'constructor']);
    }
    expect(Object.getOwnPropertyDescriptor(event.multiValueHeaders, '__proto__')?.value).toEqual(['a', 'b']);
    expect(Object.getOwnPropertyDescriptor(event.headers, '__proto__')?.value).toBe('b');
    expect(event.multiValueQueryStringParameters?.constructor).toEqual(['c']);
  });

  it('joins repeated names with commas in a function URL event, whatever their case', () => {
    const event = functionUrlEvent({ headers: { 'X-Twice': 'a', 'x-twice': 'b' }, query: { ['__proto__']: ['a', 'b'] } });
    expect(event.headers['x-twice']).toBe('a,b');
    expect(Object.getOwnPropertyDescriptor(event.queryStringParameters, '__proto__')?.value).toBe('a,b');
    expect(event.rawQueryString).toBe('__proto__=a&__proto__=b');
  });
});
