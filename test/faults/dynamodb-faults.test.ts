import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpResponse } from '../../lambdas/http/types.js';
import { api, sandbox, startSandbox } from '../payments/harness.js';
import { startFaultProxy, type FaultProxy } from '../support/dynamodb-fault-proxy.js';
import { uniqueKey } from '../support/events.js';
import { createTenant } from '../support/tenants.js';
import { assertPaymentInvariants } from './invariants.js';

let proxy: FaultProxy;
let processor: Awaited<ReturnType<typeof startSandbox>>;
const since = Date.now() - 60_000;

beforeAll(async () => {
  // Every DynamoDB client in this worker is created after this line, so all of them go through the proxy.
  proxy = await startFaultProxy(process.env.AWS_ENDPOINT_URL_DYNAMODB ?? '', [
    { operation: 'TransactWriteItems', fault: 'transaction-conflict', every: 2 },
    { operation: 'PutItem', fault: 'throttling', every: 3 },
    { operation: 'GetItem', fault: 'throttling', every: 4 },
    { operation: 'UpdateItem', fault: 'throttling', every: 2 },
  ]);
  process.env.AWS_ENDPOINT_URL_DYNAMODB = proxy.endpoint;
  processor = await startSandbox();
});
afterAll(() => {
  processor.stop();
  proxy.stop();
});

describe('DynamoDB throttling and transaction conflicts', () => {
  it('are absorbed by the SDK retry path and the store: every charge succeeds once, invariants hold', async () => {
    const client = api({ processor: sandbox(processor.url) });
    const tenant = await createTenant();
    const keys = Array.from({ length: 20 }, () => uniqueKey());
    const body = { amount: 700, currency: 'usd', source: 'tok_visa' };
    // A well-behaved client: retry 409 and 503 with the same key until the answer is final.
    const untilFinal = async (send: () => Promise<HttpResponse>): Promise<HttpResponse> => {
      for (let attempt = 0; ; attempt++) {
        const response = await send();
        if ((response.statusCode !== 409 && response.statusCode !== 503) || attempt === 10) return response;
      }
    };
    const first = await Promise.all(keys.map((key) => untilFinal(() => client.post('/v1/charges', { tenant, key, body }))));
    expect(first.map((response) => response.statusCode)).toEqual(keys.map(() => 201));
    const retries = await Promise.all(keys.map((key) => client.post('/v1/charges', { tenant, key, body })));
    expect(retries.every((response) => response.statusCode === 201 && response.headers['Idempotent-Replayed'] === 'true')).toBe(true);
    const refunds = await Promise.all(
      keys.slice(0, 5).map(async (key, i) => {
        const charge = JSON.parse(first[i]?.body ?? '{}') as { id: string };
        return untilFinal(() => client.post(`/v1/charges/${charge.id}/refunds`, { tenant, key: `${key}-refund`, body: { amount: 200 } }));
      }),
    );
    expect(refunds.map((response) => response.statusCode)).toEqual([201, 201, 201, 201, 201]);

    expect(proxy.injected.throttling).toBeGreaterThan(0);
    expect(proxy.injected['transaction-conflict']).toBeGreaterThan(0);
    expect(await assertPaymentInvariants({ api: client, tenant, processorUrl: processor.url, since })).toEqual({
      charges: 20,
      succeeded: 20,
      refunds: 5,
    });
  });
});
