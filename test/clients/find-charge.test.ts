import { describe, expect, it } from 'vitest';
import { jsonResponse, problemResponse, scriptedClient } from './fake-api.js';

const keyState = (status: string, response: unknown) => ({
  object: 'idempotency_key',
  key: 'k',
  status,
  created: 1,
  expires_at: 2,
  response,
});
const charge = { id: 'ch_1', object: 'charge', status: 'succeeded' };

describe('did my charge happen? (charges.findByIdempotencyKey)', () => {
  it('finds the charge a completed key created', async () => {
    const { client, seen } = scriptedClient([
      jsonResponse(200, keyState('completed', { status: 201, resource: { object: 'charge', id: 'ch_1' } })),
      jsonResponse(200, charge),
    ]);
    expect(await client.charges.findByIdempotencyKey('k')).toEqual({ state: 'charged', charge });
    expect(seen.map((request) => [request.method, new URL(request.url).pathname])).toEqual([
      ['GET', '/v1/idempotency_keys/k'],
      ['GET', '/v1/charges/ch_1'],
    ]);
  });

  it('says pending while the server is still finishing, or recovering, the request', async () => {
    const { client } = scriptedClient([jsonResponse(200, keyState('in_recovery', null))]);
    expect(await client.charges.findByIdempotencyKey('k')).toMatchObject({ state: 'pending', key: { status: 'in_recovery' } });
  });

  it('says answered when the key completed without a charge', async () => {
    const { client } = scriptedClient([jsonResponse(200, keyState('completed', { status: 400, resource: null }))]);
    expect(await client.charges.findByIdempotencyKey('k')).toEqual({ state: 'answered', status: 400 });
  });

  it('says unknown for a key the server does not have', async () => {
    const { client } = scriptedClient([problemResponse('not-found', 404)]);
    expect(await client.charges.findByIdempotencyKey('k')).toEqual({ state: 'unknown' });
  });

  it('lets other problems through', async () => {
    const { client } = scriptedClient([problemResponse('unauthorized', 401)]);
    await expect(client.charges.findByIdempotencyKey('k')).rejects.toMatchObject({ slug: 'unauthorized' });
  });
});
