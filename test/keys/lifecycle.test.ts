import middy from '@middy/core';
import { describe, expect, it } from 'vitest';
import { authenticate, type TenantContext } from '../../lambdas/auth/authenticate.js';
import { errorResponses } from '../../lambdas/http/error-responses.js';
import { type ApiGatewayEvent, type HttpResponse, jsonResponse } from '../../lambdas/http/types.js';
import type { AccountId } from '../../lambdas/shared/ids.js';
import { tableName } from '../../lambdas/shared/env.js';
import type { CliIo } from '../../cli/io.js';
import { createLambdaContext } from '../../local/lambda-context.js';
import { restApiEvent } from '../../local/proxy-events.js';
import { main } from '../../keys/main.js';
import { freePort } from '../../local/ports.js';

/** `npm run keys` against the test run's DynamoDB Local (named like a deployed table), and a function's view of its keys. */
const table = (): string => tableName('apiKeys');
const freshAccount = (): AccountId => `acct_keys_${Math.random().toString(36).slice(2, 10)}` as AccountId;

const run = async (argv: readonly string[], nowMs = Date.now(), env: NodeJS.ProcessEnv = process.env) => {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (text) => out.push(text), err: (text) => err.push(text), now: () => nowMs };
  const code = await main(argv, io, env);
  return { code, out: out.join('\n'), err: err.join('\n') };
};

const keyIn = (text: string): string => /sk_(test|live)_[\w-]+/.exec(text)?.[0] ?? '';
const idIn = (text: string): string => /key_[0-9a-f]{16}/.exec(text)?.[0] ?? '';

/** A function's authentication, on its own clock, as every API route runs it. */
const guarded = (now: () => number) => {
  const handler = middy<ApiGatewayEvent, HttpResponse, Error, TenantContext>((_event: ApiGatewayEvent, context: TenantContext) =>
    Promise.resolve(jsonResponse(200, { tenant: context.tenant })),
  )
    .use(authenticate({ now, cacheTtlMs: 0 }))
    .use(errorResponses());
  return async (apiKey: string) =>
    (
      await handler(
        restApiEvent({ method: 'GET', resource: '/v1/balance', headers: { Authorization: `Bearer ${apiKey}` } }),
        createLambdaContext('account', 10, 512) as TenantContext,
      )
    ).statusCode;
};

describe('npm run keys', () => {
  it('creates live keys for a deployed table and test keys when told, and lists them without the key', async () => {
    const account = freshAccount();
    const live = await run(['create', '--account', account, '--table', table()]);
    const test = await run(['create', '--account', account, '--table', table(), '--test']);
    expect([live.code, test.code]).toEqual([0, 0]);
    expect(keyIn(live.out)).toMatch(/^sk_live_/);
    expect(keyIn(test.out)).toMatch(/^sk_test_/);

    const listed = await run(['list', '--account', account, '--table', table()]);
    expect(listed.out.split('\n')).toHaveLength(2);
    expect(listed.out).toContain(idIn(live.out));
    expect(listed.out).toContain(idIn(test.out));
    expect(listed.out).not.toContain(keyIn(live.out));
    expect(await guarded(Date.now)(keyIn(live.out))).toBe(200);
  });

  it('revokes a key: 401 from then on, and a second revocation changes nothing', async () => {
    const account = freshAccount();
    const created = await run(['create', '--account', account, '--table', table()]);
    const call = guarded(Date.now);
    expect(await call(keyIn(created.out))).toBe(200);

    const revoked = await run(['revoke', '--account', account, '--table', table(), '--key', idIn(created.out)]);
    expect(revoked).toMatchObject({ code: 0, out: expect.stringContaining('within 60 s') as string });
    expect(await call(keyIn(created.out))).toBe(401);
    expect((await run(['revoke', '--account', account, '--table', table(), '--key', idIn(created.out)])).code).toBe(1);
    expect((await run(['revoke', '--account', freshAccount(), '--table', table(), '--key', idIn(created.out)])).code).toBe(1);
    expect((await run(['list', '--account', account, '--table', table()])).out).toContain('revoked');
  });

  it('rotates a key: both work during the grace period, only the new one after it', async () => {
    const account = freshAccount();
    const start = Date.now();
    const created = await run(['create', '--account', account, '--table', table()], start);
    const rotated = await run(
      ['rotate', '--account', account, '--table', table(), '--key', idIn(created.out), '--grace-hours', '2'],
      start,
    );
    expect(rotated.code).toBe(0);
    const [oldKey, newKey] = [keyIn(created.out), keyIn(rotated.out)];
    expect(newKey).not.toBe(oldKey);

    let clock = start + 3600_000;
    const call = guarded(() => clock);
    expect([await call(oldKey), await call(newKey)]).toEqual([200, 200]);
    clock = start + 2 * 3600_000 + 1;
    expect([await call(oldKey), await call(newKey)]).toEqual([401, 200]);
    // An ending key cannot be rotated again: its replacement is the one to rotate.
    expect((await run(['rotate', '--account', account, '--table', table(), '--key', idIn(created.out)], start)).code).toBe(1);
  });

  it('refuses bad flags with the usage, and names the port when the local stack is not there', async () => {
    expect((await run(['create', '--account', 'shop'])).code).toBe(2);
    expect((await run(['revoke', '--account', freshAccount()])).err).toContain('--key');
    expect((await run(['burn', '--account', freshAccount()])).err).toContain('Usage');
    const port = await freePort();
    const unreachable = await run(['list', '--account', freshAccount()], Date.now(), { ...process.env, DYNAMODB_PORT: String(port) });
    expect(unreachable.code).toBe(2);
    expect(unreachable.err).toContain(`port ${port}`);
  });
});
