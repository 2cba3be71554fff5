import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, sandbox, startSandbox, type Api } from '../payments/harness.js';
import { createTenant, type TestTenant } from '../support/tenants.js';

let processor: Awaited<ReturnType<typeof startSandbox>>;
let client: Api;
let tenant: TestTenant;

beforeAll(async () => {
  processor = await startSandbox();
  client = api({ processor: sandbox(processor.url) });
  tenant = await createTenant();
});
afterAll(() => {
  processor.stop();
});

const anyValue = fc.oneof(
  fc.jsonValue(),
  fc.string(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constant(null),
);

/** Bodies near the valid shape, so validation is probed field by field, plus arbitrary JSON and text. */
const chargeBody = fc.oneof(
  fc.record(
    {
      amount: fc.oneof(fc.integer({ min: -10, max: 100_000_010 }), anyValue),
      currency: fc.oneof(fc.constantFrom('usd', 'eur', 'USD', 'xxx', ''), anyValue),
      source: fc.oneof(fc.constantFrom('tok_visa', 'tok_chargeDeclined', 'tok_unknown', 'tok_'), fc.string(), anyValue),
      description: fc.oneof(fc.string({ maxLength: 600 }), anyValue),
      metadata: fc.oneof(
        fc.dictionary(fc.string({ maxLength: 45 }), fc.oneof(fc.string({ maxLength: 10 }), anyValue), { maxKeys: 22 }),
        anyValue,
      ),
      extra: anyValue,
    },
    { requiredKeys: [] },
  ),
  fc.jsonValue(),
);

const rawBody = fc.oneof(
  chargeBody.map((value) => JSON.stringify(value)),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('', '{', '{"amount":', 'null', '[]', '"x"'),
);

const idempotencyKey = fc.oneof(
  fc.uuid(),
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('"quoted"', '"', '""', ' '),
);

describe('random input', () => {
  it('never yields a 5xx on the charge route', async () => {
    await fc.assert(
      fc.asyncProperty(rawBody, fc.option(idempotencyKey), fc.option(fc.string({ maxLength: 40 })), async (body, key, contentType) => {
        const response = await client.post('/v1/charges', {
          tenant,
          ...(key === null ? {} : { key }),
          body,
          ...(contentType === null ? {} : { headers: { 'Content-Type': contentType } }),
        });
        expect(response.statusCode, `${response.statusCode} ${response.body}`).toBeLessThan(500);
        if (response.statusCode >= 400) expect(response.headers['Content-Type']).toBe('application/problem+json');
      }),
      { numRuns: 150 },
    );
  });

  it('never yields a 5xx on the refund route or the list queries', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 40 }),
        rawBody,
        fc.dictionary(fc.string({ maxLength: 15 }), fc.string({ maxLength: 30 }), { maxKeys: 3 }),
        async (id, body, query) => {
          const path = `/v1/charges/${encodeURIComponent(id) || 'x'}/refunds`;
          const refund = await client.post(path, { tenant, key: 'k', body });
          expect(refund.statusCode, refund.body).toBeLessThan(500);
          const list = await client.get('/v1/charges', tenant, query);
          expect(list.statusCode, list.body).toBeLessThan(500);
          const events = await client.get('/v1/events', tenant, query);
          expect(events.statusCode, events.body).toBeLessThan(500);
        },
      ),
      { numRuns: 100 },
    );
  });
});
