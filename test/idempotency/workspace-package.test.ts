import { readdir, readFile, realpath } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourceCondition, sourceConditionFlag } from '../../workspace-conditions.js';

const repositoryRoot = resolve(import.meta.dirname, '../..');
const packageDir = join(repositoryRoot, 'packages/idempotency');

const json = async <T>(path: string): Promise<T> => JSON.parse(await readFile(join(repositoryRoot, path), 'utf8')) as T;

const importsOf = (source: string): string[] =>
  [...source.matchAll(/^(?:import|export)[^;]*? from '([^']+)';/gms)].map((match) => match[1] ?? '');

const typeScriptFiles = async (dir: string): Promise<string[]> =>
  (await readdir(join(repositoryRoot, dir), { recursive: true }))
    .filter((file) => file.endsWith('.ts') && !file.includes('node_modules') && !file.startsWith('dist/'))
    .map((file) => join(dir, file));

describe('@retrysafe/idempotency as a workspace package', () => {
  it('imports nothing of Retrysafe: its sources reach only each other, Node built-ins and its peer dependencies', async () => {
    const manifest = await json<{ peerDependencies: Record<string, string> }>('packages/idempotency/package.json');
    const peers = Object.keys(manifest.peerDependencies);
    const sources = await typeScriptFiles('packages/idempotency/src');
    const outside = (
      await Promise.all(
        sources.map(async (file) =>
          importsOf(await readFile(join(repositoryRoot, file), 'utf8'))
            .filter((specifier) => !/^\.\/[a-z-]+\.js$/.test(specifier) && !specifier.startsWith('node:'))
            .filter((specifier) => !peers.some((peer) => specifier === peer || specifier.startsWith(`${peer}/`)))
            .filter((specifier) => specifier !== 'aws-lambda')
            .map((specifier) => `${file}: ${specifier}`),
        ),
      )
    ).flat();
    expect(outside).toEqual([]);
  });

  it('is consumed by Retrysafe by its name, never by a path into packages/', async () => {
    const dirs = ['lambdas', 'lib', 'local', 'test', 'bench', 'loadtest', 'scripts', 'reconcile', 'ops', 'cli', 'keys', 'examples', 'bin'];
    const files = (await Promise.all(dirs.map(typeScriptFiles))).flat();
    const byPath = (
      await Promise.all(
        files.map(async (file) =>
          importsOf(await readFile(join(repositoryRoot, file), 'utf8'))
            .filter((specifier) => specifier.includes('packages/'))
            .map((specifier) => `${file}: ${specifier}`),
        ),
      )
    ).flat();
    expect(byPath).toEqual([]);
    expect(await realpath(join(repositoryRoot, 'node_modules/@retrysafe/idempotency'))).toBe(await realpath(packageDir));
  });

  it('resolves to its sources under the source condition and to dist/ for everyone else', async () => {
    const { workspaces } = await json<{ workspaces: string[] }>('package.json');
    expect(workspaces).toContain('packages/idempotency');
    const { exports } = await json<{ exports: Record<string, string | Record<string, string>> }>('packages/idempotency/package.json');
    for (const [subpath, target] of Object.entries(exports)) {
      if (typeof target === 'string') continue;
      const [first, ...rest] = Object.entries(target);
      expect(first?.[0], subpath).toBe(sourceCondition);
      await expect(readFile(join(packageDir, first?.[1] ?? ''), 'utf8')).resolves.toContain('export');
      expect(
        rest.map(([, file]) => file),
        subpath,
      ).toEqual([expect.stringMatching(/^\.\/dist\/[a-z]+\.d\.ts$/), expect.stringMatching(/^\.\/dist\/[a-z]+\.js$/)]);
    }
  });

  it('is resolved to its sources by every tool that runs the repository: tsc, node and tsx, the CDK apps', async () => {
    const tsconfig = await json<{ compilerOptions: { customConditions: string[] } }>('tsconfig.json');
    expect(tsconfig.compilerOptions.customConditions).toEqual([sourceCondition]);
    const { scripts } = await json<{ scripts: Record<string, string> }>('package.json');
    const running = Object.entries(scripts).filter(([, command]) => /(^|\s)(tsx|node --import tsx)\s/.test(command));
    expect(running.length).toBeGreaterThan(5);
    for (const [name, command] of running) {
      if (name === 'mutate') continue;
      expect(command, name).toContain(sourceConditionFlag);
    }
    for (const cdkJson of ['cdk.json', 'examples/fulfilment/cdk.json'])
      expect((await json<{ app: string }>(cdkJson)).app, cdkJson).toContain(sourceConditionFlag);
  });
});
