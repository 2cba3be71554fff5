import { randomUUID } from 'node:crypto';
import { request as httpRequest, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemTypeBase } from '../../lambdas/http/problem-types.js';
import { startApiGateway } from '../../local/api-gateway.js';
import { startFunctionUrl } from '../../local/function-url.js';
import { freePort } from '../../local/ports.js';
import { createTenant, type TestTenant } from '../support/tenants.js';

/** Far below the burst, so a few hundred requests overload the local stack as 10,000 would overload the default. */
const concurrency = 4;
const burst = 300;

interface Answer {
  readonly status: number;
  readonly retryAfter: string | undefined;
  readonly type: string | undefined;
}

/** One POST on a connection of its own, as 10,000 separate clients would send it; a transport error rejects. */
const post = (url: string, headers: Record<string, string>, body: string): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      {
        method: 'POST',
        agent: false,
        headers: { ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const retryAfter = response.headers['retry-after'];
          resolve({
            status: response.statusCode ?? 0,
            retryAfter,
            type: (response.headers['content-type'] ?? '').includes('problem+json')
              ? (JSON.parse(text) as { type: string }).type
              : undefined,
          });
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });

const close = (server: Server): Promise<void> =>
  new Promise((resolveClose) => {
    server.closeAllConnections();
    server.close(() => {
      resolveClose();
    });
  });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Overload on the local stack: the local API Gateway with LOCAL_CONCURRENCY far below a burst,
 * the charges function and the sandbox processor, on the global setup's DynamoDB Local.
 */
describe('a burst far above the local concurrency', () => {
  let api: Server;
  let processor: Server;
  let apiUrl: string;
  let processorUrl: string;
  let tenant: TestTenant;
  const keys = Array.from({ length: burst }, () => `overload-${randomUUID()}`);
  const body = JSON.stringify({ amount: 1_000, currency: 'usd', source: 'tok_visa' });
  const charge = (key: string) => post(`${apiUrl}/v1/charges`, { ...tenant.authorization, 'Idempotency-Key': key }, body);

  beforeAll(async () => {
    const processorPort = await freePort();
    processor = await startFunctionUrl('processor', processorPort);
    processorUrl = `http://127.0.0.1:${processorPort}`;
    // Read when the charges handler builds its processor client, on its first request.
    process.env.PROCESSOR_URL = processorUrl;
    const apiPort = await freePort();
    api = await startApiGateway({ port: apiPort, concurrency });
    apiUrl = `http://127.0.0.1:${apiPort}`;
    tenant = await createTenant();
  });

  afterAll(async () => {
    await close(api);
    await close(processor);
  });

  it('answers every request 2xx, 4xx or 503 with Retry-After: no 500, no 502, no reset', async () => {
    const answers = await Promise.all(keys.map(charge));
    const unanswered = answers.filter(
      (answer) => !(answer.status < 500 || (answer.status === 503 && answer.retryAfter !== undefined && Number(answer.retryAfter) > 0)),
    );
    expect(unanswered).toEqual([]);
    // The burst really overloaded the stack: some were served, some told to come back.
    expect(answers.some((answer) => answer.status === 201)).toBe(true);
    const refused = answers.filter((answer) => answer.status === 503);
    expect(refused.length).toBeGreaterThan(0);
    for (const answer of refused) expect(answer.type).toBe(`${problemTypeBase}service-unavailable`);
  }, 120_000);

  it('ends with exactly one charge per key for a client that honours Retry-After and keeps its key', async () => {
    const settle = async (key: string): Promise<number> => {
      for (;;) {
        const answer = await charge(key);
        if (answer.status !== 503 && answer.status !== 409) return answer.status;
        await sleep(Number(answer.retryAfter ?? '1') * 1000);
      }
    };
    const statuses = await Promise.all(keys.map(settle));
    expect(statuses.filter((status) => status !== 201)).toEqual([]);

    const retrysafeCharges = await listAll<{ id: string }>(
      (after) => `${apiUrl}/v1/charges?limit=100${after === undefined ? '' : `&starting_after=${after.id}`}`,
      tenant.authorization,
    );
    const processorCharges = await processorChargesOf(processorUrl, tenant);
    expect(new Set(retrysafeCharges.map((charge) => charge.id)).size).toBe(retrysafeCharges.length);
    expect({ retrysafe: retrysafeCharges.length, processor: processorCharges }).toEqual({ retrysafe: keys.length, processor: keys.length });
  }, 240_000);
});

/** Every item of a Retrysafe list, newest first, page by page. */
const listAll = async <T>(pageUrl: (after: T | undefined) => string, headers: Record<string, string>): Promise<T[]> => {
  const items: T[] = [];
  for (;;) {
    const page = (await (await fetch(pageUrl(items.at(-1)), { headers })).json()) as { data: T[]; has_more: boolean };
    items.push(...page.data);
    if (!page.has_more) return items;
  }
};

/** The processor's charges made for this tenant's account, from its own listing. */
const processorChargesOf = async (processorUrl: string, tenant: TestTenant): Promise<number> => {
  let count = 0;
  let cursor: string | undefined;
  do {
    const url = new URL('/charges', processorUrl);
    url.searchParams.set('since', '0');
    url.searchParams.set('limit', '100');
    if (cursor !== undefined) url.searchParams.set('cursor', cursor);
    const page = (await (await fetch(url)).json()) as { data: { metadata: Record<string, string> }[]; next_cursor: string | null };
    count += page.data.filter((charge) => charge.metadata.retrysafe_account === tenant.account).length;
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
  return count;
};
