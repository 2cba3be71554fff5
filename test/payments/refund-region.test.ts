import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableEnvVar, tables } from '../../lambdas/topology.js';
import { ensureTable } from '../../local/provision.js';
import { uniqueKey } from '../support/events.js';
import { createTenant } from '../support/tenants.js';
import { api, json, sandbox, startSandbox, type Api } from './harness.js';

/**
 * A multi-region deployment as one region's functions see it: a key-owners table in their
 * environment, AWS_REGION naming where they run. Switching AWS_REGION between requests stands in
 * for the same request reaching another region, whose replica holds the charge.
 */
let processor: Awaited<ReturnType<typeof startSandbox>>;
let client: Api;
const originalRegion = process.env.AWS_REGION;

beforeAll(async () => {
  const owners = `test-key-owners-${randomUUID().slice(0, 8)}`;
  const admin = new DynamoDBClient({});
  await ensureTable(admin, owners, tables.keyOwners);
  admin.destroy();
  process.env[tableEnvVar('keyOwners')] = owners;
  process.env.AWS_REGION = 'us-east-1';
  processor = await startSandbox();
  client = api({ processor: sandbox(processor.url) });
});
afterAll(() => {
  processor.stop();
  process.env.AWS_REGION = originalRegion;
  Reflect.deleteProperty(process.env, tableEnvVar('keyOwners'));
});

describe('refunds in a multi-region deployment', () => {
  it("are refused, unclaimed, outside the charge's region, and made with the same key in it", async () => {
    const tenant = await createTenant();
    const created = await client.post('/v1/charges', {
      tenant,
      key: uniqueKey(),
      body: { amount: 2_000, currency: 'usd', source: 'tok_visa' },
    });
    expect(created.statusCode).toBe(201);
    const chargeId = json<{ id: string }>(created).id;
    const key = uniqueKey();

    process.env.AWS_REGION = 'us-west-2';
    const elsewhere = await client.post(`/v1/charges/${chargeId}/refunds`, { tenant, key, body: { amount: 500 } });
    expect(elsewhere.statusCode).toBe(421);
    expect(json(elsewhere)).toMatchObject({ type: expect.stringMatching(/charge-in-another-region$/) as string, region: 'us-east-1' });

    process.env.AWS_REGION = 'us-east-1';
    const home = await client.post(`/v1/charges/${chargeId}/refunds`, { tenant, key, body: { amount: 500 } });
    expect(home.statusCode).toBe(201);
    expect(json(await client.get(`/v1/charges/${chargeId}`, tenant))).toMatchObject({ amount_refunded: 500 });
  });
});
