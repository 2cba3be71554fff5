import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    { operation: 'PutItem', fault: 'lost-response', every: 2 },
    { operation: 'UpdateItem', fault: 'lost-response', every: 2 },
    { operation: 'TransactWriteItems', fault: 'lost-response', every: 2 },
  ]);
  process.env.AWS_ENDPOINT_URL_DYNAMODB = proxy.endpoint;
  processor = await startSandbox();
});
afterAll(() => {
  processor.stop();
  proxy.stop();
});

describe('DynamoDB applying a write and losing its response', () => {
  it('lets the SDK retry our own claims and completions, recognised by their fencing token: every first request is its own 201', async () => {
    // Every lost response costs the SDK a backoff, on both sides of the processor call: a generous processor timeout.
    const client = api({ processor: sandbox(processor.url, 20_000) });
    const tenant = await createTenant();
    // Ten, not more: each lost response costs the SDK client's retry quota (shared by the whole
    // worker) a timeout's worth of tokens, and an empty quota stops retrying (a 503, as it should).
    const keys = Array.from({ length: 10 }, () => uniqueKey());
    const body = { amount: 900, currency: 'usd', source: 'tok_visa' };
    const answers = await Promise.all(keys.map((key) => client.post('/v1/charges', { tenant, key, body })));
    expect(answers.map((answer) => answer.statusCode)).toEqual(keys.map(() => 201));
    // Not one answered as somebody else's work: neither "in use" nor a replay of itself.
    expect(answers.filter((answer) => answer.headers['Idempotent-Replayed'] !== undefined)).toEqual([]);
    expect(proxy.injected['lost-response']).toBeGreaterThanOrEqual(keys.length);

    const retries = await Promise.all(keys.map((key) => client.post('/v1/charges', { tenant, key, body })));
    expect(retries.map((answer) => [answer.statusCode, answer.headers['Idempotent-Replayed']])).toEqual(keys.map(() => [201, 'true']));
    expect(await assertPaymentInvariants({ api: client, tenant, processorUrl: processor.url, since })).toEqual({
      charges: 10,
      succeeded: 10,
      refunds: 0,
    });
  });
});
