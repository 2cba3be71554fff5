import { SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Resolver } from '../../lambdas/webhooks/destination-policy.js';
import { createEndpointBody } from '../../lambdas/webhooks/endpoint-api.js';
import { createEndpointsHandler, depsFromEnvironment } from '../../lambdas/webhooks/endpoints-handler.js';
import { secretKey } from '../../lambdas/webhooks/signing.js';
import { callApi, createPrivateQueues, createTenant, type Tenant } from './support.js';

const resolve: Resolver = (hostname) =>
  hostname === 'hooks.example.test'
    ? Promise.resolve([{ address: '93.184.216.34', family: 4 }])
    : hostname === 'metadata.example.test'
      ? Promise.resolve([{ address: '169.254.169.254', family: 4 }])
      : Promise.reject(new Error('ENOTFOUND'));

const endpoints = '/v1/webhook_endpoints';
const endpoint = '/v1/webhook_endpoints/{id}';
const deliveries = '/v1/webhook_endpoints/{id}/deliveries';
const redrive = '/v1/webhook_endpoints/{id}/deliveries/redrive';
const rotate = '/v1/webhook_endpoints/{id}/rotate_secret';

describe('the webhook endpoints API', () => {
  const strict = createEndpointsHandler({ ...depsFromEnvironment(), resolve, allowLoopback: false });
  const local = createEndpointsHandler({ ...depsFromEnvironment(), resolve, allowLoopback: true });
  let tenant: Tenant;
  let other: Tenant;

  beforeAll(async () => {
    await createPrivateQueues(new SQSClient({}));
    tenant = await createTenant();
    other = await createTenant();
  });

  const create = (body: unknown, as: Tenant = tenant, headers?: Record<string, string>, handler = strict) =>
    callApi(handler, { method: 'POST', resource: endpoints, tenant: as, body, ...(headers === undefined ? {} : { headers }) });

  it('creates an endpoint and shows its secret once', async () => {
    const answer = await create({ url: 'https://hooks.example.test/retrysafe', enabled_events: ['charge.succeeded', 'charge.refunded'] });
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({
      id: expect.stringMatching(/^we_[0-9A-Z]{26}$/) as string,
      object: 'webhook_endpoint',
      url: 'https://hooks.example.test/retrysafe',
      enabled_events: ['charge.succeeded', 'charge.refunded'],
      status: 'enabled',
      disabled_reason: null,
      secret: expect.stringMatching(/^whsec_/) as string,
      created: expect.any(Number) as number,
    });
    expect(secretKey(answer.body.secret as string)?.length).toBe(32);

    const list = await callApi(strict, { method: 'GET', resource: endpoints, tenant });
    expect(list.status).toBe(200);
    const listed = (list.body.data as Record<string, unknown>[]).find((item) => item.id === answer.body.id);
    expect(listed).toMatchObject({ id: answer.body.id, url: 'https://hooks.example.test/retrysafe', status: 'enabled' });
    expect(listed).not.toHaveProperty('secret');
    expect(JSON.stringify(list.body)).not.toContain('whsec_');
  });

  it('accepts "*" alone, as documented, and removes duplicate event types', async () => {
    expect(createEndpointBody.shape.enabled_events.description).toContain('["*"] alone for every type');
    expect((await create({ url: 'https://hooks.example.test/all', enabled_events: ['*'] })).body.enabled_events).toEqual(['*']);
    expect(
      (await create({ url: 'https://hooks.example.test/d', enabled_events: ['charge.failed', 'charge.failed'] })).body.enabled_events,
    ).toEqual(['charge.failed']);
  });

  it.each([
    [{ url: 'https://hooks.example.test/', enabled_events: ['charge.succeeded'], secret: 'mine' }, /unknown field "secret"/i],
    [{ url: 'https://hooks.example.test/' }, /enabled_events/],
    [{ url: 'https://hooks.example.test/', enabled_events: [] }, /enabled_events/],
    [{ url: 'https://hooks.example.test/', enabled_events: ['charge.exploded'] }, /enabled_events\.0/],
    [{ url: 'https://hooks.example.test/', enabled_events: ['*', 'charge.failed'] }, /alone/],
    [{ url: 42, enabled_events: ['*'] }, /url/],
  ])('rejects the body %j with a validation problem', async (body, detail) => {
    const answer = await create(body);
    expect(answer.status).toBe(400);
    expect(answer.headers['Content-Type']).toBe('application/problem+json');
    expect(answer.body).toMatchObject({ type: 'https://retrysafe.dev/problems/validation-error', status: 400 });
    expect(answer.body.detail).toMatch(detail);
  });

  it.each([
    'http://hooks.example.test/',
    'https://127.0.0.1/',
    'https://localhost./',
    'https://169.254.169.254/latest/meta-data/',
    'https://[::ffff:169.254.169.254]/',
    'https://metadata.example.test/',
    'https://10.0.0.8/',
    'https://[fd00::1]/',
  ])('refuses the destination %s with webhook-url-invalid', async (url) => {
    const answer = await create({ url, enabled_events: ['*'] });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ type: 'https://retrysafe.dev/problems/webhook-url-invalid', field: 'url' });
  });

  it('accepts loopback http only under WEBHOOK_ALLOW_LOOPBACK', async () => {
    const body = { url: 'http://127.0.0.1:9999/hook', enabled_events: ['*'] };
    expect((await create(body)).status).toBe(400);
    expect((await callApi(local, { method: 'POST', resource: endpoints, tenant, body })).status).toBe(201);
  });

  it('replays the same endpoint for a retried Idempotency-Key, creating one endpoint and never storing its secret', async () => {
    const fresh = await createTenant();
    const body = { url: 'https://hooks.example.test/once', enabled_events: ['*'] };
    const first = await create(body, fresh, { 'Idempotency-Key': 'create-once' });
    expect(first.body.secret).toMatch(/^whsec_/);
    const { secret: _shownOnce, ...withoutSecret } = first.body;
    const second = await create(body, fresh, { 'Idempotency-Key': 'create-once' });
    expect(second.status).toBe(201);
    expect(second.headers['Idempotent-Replayed']).toBe('true');
    expect(second.body).toEqual(withoutSecret);
    const list = await callApi(strict, { method: 'GET', resource: endpoints, tenant: fresh });
    expect(list.body.data).toHaveLength(1);

    // A new handler has no memory of the key: the replay comes from the stored record.
    await callApi(strict, { method: 'DELETE', resource: endpoint, tenant: fresh, id: first.body.id as string });
    const afterDeletion = await create(
      body,
      fresh,
      { 'Idempotency-Key': 'create-once' },
      createEndpointsHandler({ ...depsFromEnvironment(), resolve, allowLoopback: false }),
    );
    expect(afterDeletion.status).toBe(201);
    expect(JSON.stringify(afterDeletion.body)).not.toContain('whsec_');
  });

  it('replays a rotation without the rotated secret', async () => {
    const created = await create({ url: 'https://hooks.example.test/rotate-once', enabled_events: ['*'] });
    const id = created.body.id as string;
    const rotation = { method: 'POST', resource: rotate, tenant, id, body: {}, headers: { 'Idempotency-Key': `rotate-${id}` } } as const;
    const rotated = await callApi(strict, rotation);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    const replayed = await callApi(createEndpointsHandler({ ...depsFromEnvironment(), resolve, allowLoopback: false }), rotation);
    expect(replayed.status).toBe(200);
    expect(replayed.headers['Idempotent-Replayed']).toBe('true');
    const { secret: _shownOnce, ...withoutSecret } = rotated.body;
    expect(replayed.body).toEqual(withoutSecret);
  });

  it("answers 404 for another tenant's endpoint, and for a malformed id, on every route", async () => {
    const mine = await create({ url: 'https://hooks.example.test/mine', enabled_events: ['*'] });
    const id = mine.body.id as string;
    for (const call of [
      { method: 'DELETE', resource: endpoint },
      { method: 'GET', resource: deliveries },
      { method: 'POST', resource: redrive, body: {} },
      { method: 'POST', resource: rotate, body: {} },
    ] as const) {
      const foreign = await callApi(strict, { ...call, tenant: other, id });
      expect(foreign.status).toBe(404);
      expect(foreign.body).toMatchObject({ type: 'https://retrysafe.dev/problems/not-found' });
      expect((await callApi(strict, { ...call, tenant, id: 'we_nope' })).status).toBe(404);
    }
    const list = await callApi(strict, { method: 'GET', resource: endpoints, tenant: other });
    expect(list.body.data).toEqual([]);
  });

  it('deletes an endpoint once', async () => {
    const created = await create({ url: 'https://hooks.example.test/gone', enabled_events: ['*'] });
    const id = created.body.id as string;
    const deleted = await callApi(strict, { method: 'DELETE', resource: endpoint, tenant, id });
    expect(deleted).toMatchObject({ status: 200, body: { id, object: 'webhook_endpoint', deleted: true } });
    expect((await callApi(strict, { method: 'DELETE', resource: endpoint, tenant, id })).status).toBe(404);
    const list = await callApi(strict, { method: 'GET', resource: endpoints, tenant });
    expect((list.body.data as { id: string }[]).map((item) => item.id)).not.toContain(id);
  });

  it('rotates the secret, showing the new one once and when the previous one stops signing', async () => {
    const created = await create({ url: 'https://hooks.example.test/rotate', enabled_events: ['*'] });
    const id = created.body.id as string;
    const rotated = await callApi(strict, { method: 'POST', resource: rotate, tenant, id, body: {} });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(created.body.secret);
    expect((rotated.body.previous_secret_expires_at as number) - (created.body.created as number)).toBeGreaterThanOrEqual(24 * 3600 - 1);
    expect((await callApi(strict, { method: 'POST', resource: rotate, tenant, id, body: { keep: true } })).status).toBe(400);
  });

  it('validates the deliveries query string', async () => {
    const created = await create({ url: 'https://hooks.example.test/q', enabled_events: ['*'] });
    const id = created.body.id as string;
    const list = await callApi(strict, { method: 'GET', resource: deliveries, tenant, id, query: { status: 'failed', limit: '5' } });
    expect(list).toMatchObject({
      status: 200,
      body: { object: 'list', url: `/v1/webhook_endpoints/${id}/deliveries`, data: [], has_more: false },
    });
    const invalid: Record<string, string>[] = [
      { status: 'lost' },
      { limit: '0' },
      { limit: 'ten' },
      { page: '2' },
      { cursor: 'x' },
      { starting_after: id },
    ];
    for (const query of invalid) {
      const answer = await callApi(strict, { method: 'GET', resource: deliveries, tenant, id, query });
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ type: 'https://retrysafe.dev/problems/validation-error' });
    }
  });

  it('pages endpoints newest first with starting_after', async () => {
    const fresh = await createTenant();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push((await create({ url: `https://hooks.example.test/page/${i}`, enabled_events: ['*'] }, fresh)).body.id as string);
    const first = await callApi(strict, { method: 'GET', resource: endpoints, tenant: fresh, query: { limit: '2' } });
    expect(first.body).toMatchObject({ object: 'list', url: '/v1/webhook_endpoints', has_more: true });
    const firstIds = (first.body.data as { id: string }[]).map((item) => item.id);
    expect(firstIds).toEqual([ids[2], ids[1]]);
    const second = await callApi(strict, {
      method: 'GET',
      resource: endpoints,
      tenant: fresh,
      query: { limit: '2', starting_after: firstIds[1] ?? '' },
    });
    expect(second.body).toMatchObject({ has_more: false, data: [{ id: ids[0] }] });
    const invalid = await callApi(strict, { method: 'GET', resource: endpoints, tenant: fresh, query: { starting_after: 'ch_nope' } });
    expect(invalid.body).toMatchObject({ status: 400, field: 'starting_after' });
  });

  it('redrives nothing when nothing failed', async () => {
    const created = await create({ url: 'https://hooks.example.test/r', enabled_events: ['*'] });
    const answer = await callApi(strict, { method: 'POST', resource: redrive, tenant, id: created.body.id as string });
    expect(answer).toMatchObject({ status: 202, body: { object: 'webhook_redrive', count: 0, has_more: false } });
  });
});
