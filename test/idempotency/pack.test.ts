import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repositoryRoot = resolve(import.meta.dirname, '../..');
const packageDir = join(repositoryRoot, 'packages/idempotency');
const tsc = join(repositoryRoot, 'node_modules/typescript/bin/tsc');

/** What the scratch app installs beside the tarball: the peers, and the types a TypeScript user adds. */
const appDependencies = [
  '@aws-sdk/client-dynamodb',
  '@aws-sdk/lib-dynamodb',
  '@aws-sdk/util-dynamodb',
  '@middy/core',
  '@types/aws-lambda',
  '@types/node',
];

interface LockEntry {
  readonly version: string;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly peerDependenciesMeta?: Record<string, { readonly optional?: boolean }>;
  readonly [field: string]: unknown;
}

/** Where Node would find `name` from the package at `from`, in a lockfile's layout. */
const lockPathOf = (packages: Record<string, LockEntry>, from: string, name: string): string => {
  for (let dir = from; ; dir = dir.includes('/node_modules/') ? dir.slice(0, dir.lastIndexOf('/node_modules/')) : '') {
    const candidate = `${dir === '' ? '' : `${dir}/`}node_modules/${name}`;
    if (packages[candidate] !== undefined) return candidate;
    if (dir === '') throw new Error(`${name}, needed by ${from}, is not in package-lock.json`);
  }
};

/**
 * A lockfile for the scratch app, cut from the repository's: exactly the versions the repository
 * tests with, and installable offline, because npm's cache holds their tarballs (though not the
 * registry documents npm would need to resolve version ranges).
 */
const scratchLock = async (): Promise<{ manifest: object; lock: object }> => {
  const { packages } = JSON.parse(await readFile(join(repositoryRoot, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const kept: Record<string, LockEntry> = {};
  const pending = appDependencies.map((name) => `node_modules/${name}`);
  for (let path = pending.pop(); path !== undefined; path = pending.pop()) {
    const entry = packages[path];
    if (entry === undefined || path in kept) continue;
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...plain } = entry;
    kept[path] = plain;
    const required = Object.keys(entry.peerDependencies ?? {}).filter((name) => entry.peerDependenciesMeta?.[name]?.optional !== true);
    for (const name of [...Object.keys(entry.dependencies ?? {}), ...Object.keys(entry.optionalDependencies ?? {}), ...required])
      pending.push(lockPathOf(packages, path, name));
  }
  const dependencies = Object.fromEntries(appDependencies.map((name) => [name, packages[`node_modules/${name}`]?.version]));
  const manifest = { name: 'app', private: true, type: 'module', dependencies };
  return { manifest, lock: { name: 'app', lockfileVersion: 3, requires: true, packages: { '': { name: 'app', dependencies }, ...kept } } };
};

/** Drives the README's handler as API Gateway would: two concurrent retries, a reused key, a missing one. */
const driver = `
import { handler } from './handler.js';
const event = (key, body) => ({
  httpMethod: 'POST',
  resource: '/orders',
  path: '/orders',
  headers: key === undefined ? {} : { 'Idempotency-Key': key },
  body: JSON.stringify(body),
  isBase64Encoded: false,
  requestContext: { authorizer: { principalId: 'cus_1' } },
});
let invocations = 0;
const context = () => ({ awsRequestId: 'req-' + ++invocations, getRemainingTimeInMillis: () => 10_000 });
const key = process.argv[2];
const retries = await Promise.all([handler(event(key, { sku: 'mug' }), context()), handler(event(key, { sku: 'mug' }), context())]);
const reused = await handler(event(key, { sku: 'plate' }), context());
const missing = await handler(event(undefined, { sku: 'mug' }), context());
console.log(JSON.stringify({ retries, reused, missing }));
`;

/** A TypeScript user of the tarball: its exports map and declarations type a Middy handler. */
const typedConsumer = `
import middy from '@middy/core';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { idempotency, type IdempotencyContext, type IdempotencyLogger, withAtomicCommit } from '@retrysafe/idempotency';
const logger: IdempotencyLogger = console;
export const handler = middy<APIGatewayProxyEvent, unknown, Error, Context & IdempotencyContext>(async (_event: APIGatewayProxyEvent, context: Context & IdempotencyContext) =>
  withAtomicCommit({ statusCode: 201, headers: {}, body: context.idempotency?.key ?? '' }, { writes: [] }),
).use(idempotency<APIGatewayProxyEvent>({ tableName: 'idempotency', logger, problemTypeBase: 'https://example.com/problems/' }));
`;

describe('the packed @retrysafe/idempotency', () => {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const tables = { idempotency: `pack-idempotency-${randomUUID()}`, orders: `pack-orders-${randomUUID()}` };
  let scratch: string;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'retrysafe-idempotency-'));
    await client.send(
      new CreateTableCommand({
        TableName: tables.idempotency,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
    await client.send(
      new CreateTableCommand({
        TableName: tables.orders,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      }),
    );
  });

  afterAll(async () => {
    await Promise.all(Object.values(tables).map((table) => client.send(new DeleteTableCommand({ TableName: table }))));
    client.destroy();
    await rm(scratch, { recursive: true, force: true });
  });

  it(
    "installs offline into an app outside the repository, and the README's handler runs there with plain node",
    { timeout: 240_000 },
    async () => {
      const { stdout: packed } = await run('npm', ['pack', '--pack-destination', scratch, '--silent'], { cwd: packageDir });
      const tarball = join(scratch, packed.trim().split('\n').at(-1) ?? '');
      const { stdout: listing } = await run('tar', ['-tzf', tarball]);
      const files = listing.trim().split('\n');
      expect(files).toContain('package/dist/index.js');
      expect(files).toContain('package/dist/cdk.d.ts');
      expect(files.filter((file) => !/^package\/(dist\/[a-z-]+\.(js|d\.ts)|package\.json|README\.md)$/.test(file))).toEqual([]);

      const app = join(scratch, 'app');
      await mkdir(app);
      const { manifest, lock } = await scratchLock();
      await writeFile(join(app, 'package.json'), JSON.stringify(manifest));
      await writeFile(join(app, 'package-lock.json'), JSON.stringify(lock));
      await run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], { cwd: app });
      // The peers are in place already; resolving them again by range would need the registry.
      await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--legacy-peer-deps', tarball], { cwd: app });

      const readme = await readFile(join(packageDir, 'README.md'), 'utf8');
      const example = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
      expect(example).toContain('export const handler');
      await writeFile(join(app, 'handler.js'), example ?? '');
      await writeFile(join(app, 'main.js'), driver);
      const key = randomUUID();
      const { stdout } = await run('node', ['main.js', key], {
        cwd: app,
        env: { ...process.env, IDEMPOTENCY_TABLE: tables.idempotency, ORDERS_TABLE: tables.orders },
      });
      type Answer = { statusCode: number; headers: Record<string, string>; body: string };
      const { retries, reused, missing } = JSON.parse(stdout) as { retries: Answer[]; reused: Answer; missing: Answer };

      expect(retries.map((answer) => answer.statusCode)).toEqual([201, 201]);
      expect(retries[1]?.body).toBe(retries[0]?.body);
      expect(retries.filter((answer) => answer.headers['Idempotent-Replayed'] === 'true')).toHaveLength(1);
      expect(reused.statusCode).toBe(422);
      expect(JSON.parse(reused.body)).toMatchObject({ type: 'tag:retrysafe.dev,2025:idempotency/idempotency-key-reused', status: 422 });
      expect(missing.statusCode).toBe(400);
      expect(missing.headers['Content-Type']).toBe('application/problem+json');
      expect(JSON.parse(missing.body)).toMatchObject({
        detail: 'This operation requires an Idempotency-Key header: send a unique value (e.g. a UUID) and reuse it when you retry.',
      });

      const orders = await client.send(new ScanCommand({ TableName: tables.orders, ConsistentRead: true }));
      expect(orders.Items).toEqual([JSON.parse(retries[0]?.body ?? '{}')]);
      expect(orders.Items?.[0]).toMatchObject({ id: expect.stringMatching(/^ord_req-[12]$/) as string, sku: 'mug' });
      const records = await client.send(new ScanCommand({ TableName: tables.idempotency, ConsistentRead: true }));
      expect(records.Items).toHaveLength(1);
      expect(records.Items?.[0]).toMatchObject({ pk: `cus_1#${key}`, status: 'COMPLETED', expiresAt: expect.any(Number) as number });

      await writeFile(join(app, 'typed.ts'), typedConsumer);
      const typecheck = run(
        'node',
        [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--types', 'node', 'typed.ts'],
        { cwd: app },
      );
      await expect(typecheck.catch((error: unknown) => (error as { stdout?: string }).stdout)).resolves.toMatchObject({ stdout: '' });
    },
  );
});
