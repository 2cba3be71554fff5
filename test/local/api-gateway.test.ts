import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiGateway } from '../../local/api-gateway.js';
import { freePort } from '../../local/ports.js';
import { contract, documentedFetch } from '../support/contract.js';
import { createTenant } from '../support/tenants.js';

describe('local API Gateway', () => {
  let server: Server;
  let baseUrl: string;

  beforeAll(async () => {
    const port = await freePort();
    server = await startApiGateway({ port });
    baseUrl = `http://127.0.0.1:${port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('serves GET /health without authentication', async () => {
    const response = await documentedFetch('GET', '/health', await fetch(`${baseUrl}/health`));
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text)).toEqual({ status: 'ok' });
  });

  it('serves the committed OpenAPI document at GET /openapi.json without authentication', async () => {
    const response = await documentedFetch('GET', '/openapi.json', await fetch(`${baseUrl}/openapi.json`));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('cache-control')).toMatch(/max-age=\d+/);
    expect(JSON.parse(response.text)).toEqual(contract);
  });

  it('answers an authenticated route without a key as the contract says', async () => {
    const response = await documentedFetch('GET', '/v1/balance', await fetch(`${baseUrl}/v1/balance`));
    expect(response.status).toBe(401);
  });

  it('answers an unknown route with a problem+json 404', async () => {
    const response = await fetch(`${baseUrl}/nope`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ type: 'https://retrysafe.dev/problems/not-found', status: 404 });
  });

  it('names the supported methods when the path exists but the method does not', async () => {
    const response = await fetch(`${baseUrl}/health`, { method: 'DELETE' });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { detail: string }).detail).toContain('GET');
  });

  it('hands a greedy path parameter over whole and decoded, slashes included', async () => {
    const tenant = await createTenant();
    const lookUp = (encodedKey: string) => fetch(`${baseUrl}/v1/idempotency_keys/${encodedKey}`, { headers: tenant.authorization });
    const slashed = await lookUp(encodeURIComponent('order/42 retry'));
    expect(slashed.status).toBe(404);
    expect(((await slashed.json()) as { detail: string }).detail).toContain('No request with this Idempotency-Key');
    expect(await (await lookUp(encodeURIComponent('café'))).json()).toMatchObject({ status: 400, field: 'key' });
  });

  it('points the SDK at the emulators started by the global setup', () => {
    expect(process.env.AWS_ENDPOINT_URL_DYNAMODB).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(process.env.TABLE_IDEMPOTENCY).toBe('test-idempotency');
  });
});
