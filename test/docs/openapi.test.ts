import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiTemplate } from '../../lambdas/contract/operations.js';
import { apiProblemSlugs, problemSchemaId } from '../../lambdas/contract/problems.js';
import { eventTypes } from '../../lambdas/events/outbox.js';
import { problemType, problemTypeBase } from '../../lambdas/http/problem-types.js';
import { routes, type RouteSpec } from '../../lambdas/topology.js';
import { openApiPath, renderOpenApi } from '../../scripts/openapi-file.js';
import { api, json, sandbox, startSandbox } from '../payments/harness.js';
import { contract, contractViolations, webhookViolations } from '../support/contract.js';
import { createTenant } from '../support/tenants.js';

const documentedRoutes = Object.entries(contract.paths).flatMap(([path, item]) =>
  Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
);

describe('openapi.json', () => {
  it('is what the code generates (npm run docs rewrites it)', async () => {
    expect(await renderOpenApi(), 'openapi.json is out of date with the code: run npm run docs').toBe(await readFile(openApiPath, 'utf8'));
  });

  it('documents every route of the topology, and no route the topology lacks', () => {
    const declared = (routes as readonly RouteSpec[]).map((route) => `${route.method} ${openApiTemplate(route.path)}`);
    expect(documentedRoutes).toEqual(expect.arrayContaining(declared));
    expect(declared).toEqual(expect.arrayContaining(documentedRoutes));
  });

  it('documents every problem type the API answers with its catalogue type, title, status and when text', () => {
    const text = JSON.stringify(contract);
    for (const slug of apiProblemSlugs) {
      const schema = contract.components.schemas?.[problemSchemaId(slug)] as {
        properties: Record<string, { const?: unknown }>;
        description: string;
      };
      expect(schema.properties.type?.const).toBe(`${problemTypeBase}${slug}`);
      expect(schema.properties.title?.const).toBe(problemType(slug).title);
      expect(schema.properties.status?.const).toBe(problemType(slug).status);
      expect(text).toContain(JSON.stringify(problemType(slug).when).slice(1, -1));
    }
  });

  it('documents one webhook per event type, signed by the Standard Webhooks headers', () => {
    expect(Object.keys(contract.webhooks).sort()).toEqual([...eventTypes].sort());
    for (const type of eventTypes) {
      const names = (contract.webhooks[type] as unknown as { post: { parameters: { name: string; in: string }[] } }).post.parameters.map(
        (parameter) => `${parameter.in}:${parameter.name}`,
      );
      expect(names).toEqual(['header:webhook-id', 'header:webhook-timestamp', 'header:webhook-signature']);
    }
  });
});

describe('the contract check of the harnesses', () => {
  it('refuses a status, a body or a content type the document does not describe', () => {
    const json = { 'Content-Type': 'application/json' };
    expect(contractViolations('GET', '/health', { status: 200, headers: json, body: '{"status":"ok"}' })).toEqual([]);
    expect(contractViolations('GET', '/health', { status: 418, headers: json, body: '{}' })[0]).toMatch(/does not document/);
    expect(contractViolations('GET', '/health', { status: 200, headers: json, body: '{"status":"ok","extra":1}' })[0]).toMatch(/^body:/);
    expect(contractViolations('GET', '/health', { status: 200, headers: { 'Content-Type': 'text/plain' }, body: 'ok' })[0]).toMatch(
      /content type/,
    );
    expect(contractViolations('GET', '/nowhere', { status: 200, headers: json, body: '{}' })[0]).toMatch(/not in the contract/);
  });
});

describe('the webhook event schema', () => {
  let processor: Awaited<ReturnType<typeof startSandbox>>;
  beforeAll(async () => {
    processor = await startSandbox();
  });
  afterAll(() => {
    processor.stop();
  });

  it('matches the events a charge, a declined charge and a refund write', async () => {
    const tenant = await createTenant();
    const client = api({ processor: sandbox(processor.url) });
    const charge = json<{ id: string }>(
      await client.post('/v1/charges', { tenant, key: crypto.randomUUID(), body: { amount: 500, currency: 'usd', source: 'tok_visa' } }),
    );
    await client.post('/v1/charges', {
      tenant,
      key: crypto.randomUUID(),
      body: { amount: 500, currency: 'usd', source: 'tok_chargeDeclined' },
    });
    await client.post(`/v1/charges/${charge.id}/refunds`, { tenant, key: crypto.randomUUID(), body: { amount: 100 } });
    const events = json<{ data: unknown[] }>(await client.get('/v1/events', tenant)).data;
    expect(events.map((event) => (event as { type: string }).type).sort()).toEqual([
      'charge.failed',
      'charge.refunded',
      'charge.succeeded',
    ]);
    for (const event of events) expect(webhookViolations(JSON.stringify(event))).toBeUndefined();
  });
});
