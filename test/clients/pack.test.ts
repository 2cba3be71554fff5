import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const packageDir = resolve(import.meta.dirname, '../../clients/typescript');
const installed = resolve(import.meta.dirname, '../../node_modules');
const tsc = join(installed, 'typescript/bin/tsc');

const dependenciesOf = async (packageJson: string): Promise<string[]> =>
  Object.keys((JSON.parse(await readFile(packageJson, 'utf8')) as { dependencies?: Record<string, string> }).dependencies ?? {});

/**
 * The client's runtime dependencies, transitively, as this repository installed them. Packed beside
 * the client, they let the scratch project install offline whatever the npm cache holds: `npm ci`
 * caches tarballs but not the registry metadata an install by version range needs.
 */
const runtimeDependencyDirs = async (): Promise<string[]> => {
  const found = new Set<string>();
  const pending = await dependenciesOf(join(packageDir, 'package.json'));
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (found.has(name)) continue;
    found.add(name);
    pending.push(...(await dependenciesOf(join(installed, name, 'package.json'))));
  }
  return [...found].map((name) => join(installed, name));
};

/** A consumer of the tarball: plain Node ESM, no TypeScript, no repository on its path. */
const consumer = `
import { Retrysafe, deterministicKey, isProblem } from '@retrysafe/client';
const client = new Retrysafe({ apiKey: 'sk_test_packed', baseUrl: process.argv[2], retry: { baseDelayMs: 1 } });
const key = deterministicKey('order', 'ord_123');
const charge = await client.charges.create({ amount: 1500, currency: 'usd', source: 'tok_visa' }, { idempotencyKey: key });
const declined = await client.charges.create({ amount: 1500, currency: 'usd', source: 'tok_chargeDeclined' }).catch((error) => error);
console.log(JSON.stringify({ charge: charge.data, attempts: charge.attempts, key: charge.idempotencyKey, declined: isProblem(declined, 'card-declined') }));
`;

/** The same, typed: the package's exports map and declarations serve a TypeScript consumer. */
const typedConsumer = `
import { Retrysafe, type Charge, type RetrysafeResult } from '@retrysafe/client';
const client = new Retrysafe({ apiKey: 'sk_test_packed', baseUrl: 'http://127.0.0.1:1' });
export const charge: Promise<RetrysafeResult<Charge>> = client.charges.create({ amount: 1500, currency: 'usd', source: 'tok_visa' });
`;

describe('npm pack', () => {
  let scratch: string;
  let server: Server;
  let baseUrl: string;
  const keys: (string | undefined)[] = [];

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'retrysafe-client-'));
    // Answers the first charge 503 once, so the packed client shows it retries with the same key.
    server = createServer((request, response) => {
      keys.push(request.headers['idempotency-key'] as string | undefined);
      request.resume();
      request.on('end', () => {
        if (keys.length === 1) {
          response.writeHead(503, { 'Content-Type': 'application/problem+json', 'Retry-After': '0' });
          response.end(JSON.stringify({ type: 'https://retrysafe.dev/problems/service-unavailable', title: 'Unavailable', status: 503 }));
        } else if (keys.length === 2) {
          response.writeHead(201, { 'Content-Type': 'application/json' });
          response.end(JSON.stringify({ id: 'ch_1', object: 'charge', status: 'succeeded' }));
        } else {
          response.writeHead(402, { 'Content-Type': 'application/problem+json' });
          response.end(
            JSON.stringify({ type: 'https://retrysafe.dev/problems/card-declined', title: 'Declined', status: 402, decline_code: 'x' }),
          );
        }
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.close();
    await rm(scratch, { recursive: true, force: true });
  });

  it('makes a tarball another project installs offline and uses with plain node and with TypeScript', { timeout: 180_000 }, async () => {
    const { stdout: packed } = await run('npm', ['pack', '--pack-destination', scratch, '--silent'], { cwd: packageDir });
    const tarball = join(scratch, packed.trim().split('\n').at(-1) ?? '');
    const dependencies = join(scratch, 'dependencies');
    await run('mkdir', ['-p', dependencies]);
    const { stdout: packedDependencies } = await run('npm', [
      'pack',
      '--ignore-scripts',
      '--silent',
      '--pack-destination',
      dependencies,
      ...(await runtimeDependencyDirs()),
    ]);
    const dependencyTarballs = packedDependencies
      .trim()
      .split('\n')
      .map((name) => join(dependencies, name));
    const app = join(scratch, 'app');
    await run('mkdir', ['-p', app]);
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    await run('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball, ...dependencyTarballs], { cwd: app });

    await writeFile(join(app, 'main.js'), consumer);
    const { stdout } = await run('node', ['main.js', baseUrl], { cwd: app });
    expect(JSON.parse(stdout)).toEqual({
      charge: { id: 'ch_1', object: 'charge', status: 'succeeded' },
      attempts: 2,
      key: keys[0],
      declined: true,
    });
    expect(keys[1]).toBe(keys[0]);

    await writeFile(join(app, 'typed.ts'), typedConsumer);
    await run(
      'node',
      [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--skipLibCheck', 'false', 'typed.ts'],
      {
        cwd: app,
      },
    );
  });
});
