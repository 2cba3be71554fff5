import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { assertPortFree, freePort } from '../../local/ports.js';

/**
 * `npm start` as a user runs it, stopped the ways a terminal, a supervisor or a crash stop it:
 * whatever happens to npm, nothing it started may keep running or keep a port.
 */
const repositoryRoot = resolve(fileURLToPath(import.meta.url), '../../..');

interface Started {
  readonly npm: ChildProcess;
  readonly ports: readonly number[];
}

const running: ChildProcess[] = [];
afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

const startNpm = async (): Promise<Started> => {
  const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
  const [api, dynamodb, sqs, processor] = ports.map(String);
  const npm = spawn('npm', ['start', '--', '--in-memory'], {
    cwd: repositoryRoot,
    env: { ...process.env, PORT: api, DYNAMODB_PORT: dynamodb, SQS_PORT: sqs, PROCESSOR_PORT: processor },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(npm);
  let output = '';
  await new Promise<void>((ready, fail) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Retrysafe ready')) ready();
    };
    npm.stdout.on('data', onData);
    npm.stderr.on('data', onData);
    npm.once('exit', (code) => {
      fail(new Error(`npm start exited (${String(code)}) before it was ready:\n${output}`));
    });
  });
  return { npm, ports };
};

const isFree = async (port: number): Promise<boolean> =>
  assertPortFree(port).then(
    () => true,
    () => false,
  );

/** The ports still taken once everything had the time to stop (a generous bound, not a measurement). */
const portsStillTaken = async (ports: readonly number[]): Promise<number[]> => {
  for (let waited = 0; waited < 30_000; waited += 250) {
    const taken = (await Promise.all(ports.map(async (port) => ((await isFree(port)) ? [] : [port])))).flat();
    if (taken.length === 0) return [];
    await new Promise((wait) => setTimeout(wait, 250));
  }
  return (await Promise.all(ports.map(async (port) => ((await isFree(port)) ? [] : [port])))).flat();
};

describe('npm start, stopped through npm alone', () => {
  it('frees every port when only npm gets SIGTERM', { timeout: 120_000 }, async () => {
    const { npm, ports } = await startNpm();
    // Taken while it runs: the check below would pass for a stack that never bound them.
    expect(await Promise.all(ports.map(isFree))).toEqual(ports.map(() => false));
    npm.kill('SIGTERM');
    expect(await portsStillTaken(ports)).toEqual([]);
  });

  it('frees every port when npm is killed outright and cannot pass anything on', { timeout: 120_000 }, async () => {
    const { npm, ports } = await startNpm();
    npm.kill('SIGKILL');
    expect(await portsStillTaken(ports)).toEqual([]);
  });
});
