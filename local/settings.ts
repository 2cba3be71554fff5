import { resolve } from 'node:path';
import type { SettingValues } from '../lambdas/settings.js';
import { freePort } from './ports.js';

/** Ports and paths of the local stack, each movable through the environment variable named in localVariables. */
export interface LocalSettings {
  readonly apiPort: number;
  readonly dynamodbPort: number;
  readonly sqsPort: number;
  readonly processorPort: number;
  /** DynamoDB Local's data directory; undefined keeps everything in memory. */
  readonly dataDir: string | undefined;
}

interface LocalVariable {
  readonly default: string;
  readonly meaning: string;
}

/** The local stack's own variables, read by `npm start` and never by a function. */
export const localVariables = {
  PORT: { default: '3000', meaning: 'Local API port (`npm start`)' },
  DYNAMODB_PORT: { default: '8000', meaning: 'Local DynamoDB port' },
  SQS_PORT: { default: '9324', meaning: 'Local SQS emulator port' },
  PROCESSOR_PORT: { default: '4010', meaning: 'Local sandbox processor port' },
  DATA_DIR: { default: '.data', meaning: 'Where local DynamoDB data persists; `npm start -- --in-memory` ignores it' },
  ACCESS_LOG: { default: 'true', meaning: 'Local stack: print one line per API request' },
  TEST_DYNAMODB_PORT: {
    default: '',
    meaning: "`npm test`'s DynamoDB Local port; empty, a free port the OS picks (so a running `npm start` is never disturbed)",
  },
  TEST_SQS_PORT: { default: '', meaning: "`npm test`'s SQS emulator port; empty, a free port the OS picks" },
  BENCH_DYNAMODB_PORT: { default: '', meaning: "`npm run bench`'s DynamoDB Local port; empty, a free port the OS picks" },
  LOCAL_CONCURRENCY: {
    default: '100',
    meaning:
      "Local API Gateway: function invocations at once, as Lambda's concurrency limits them; more wait in a queue, or get `503` at once when they cannot start in time. 100 keeps one machine's DynamoDB Local busy while each request still answers well inside its timeout",
  },
} as const satisfies Record<string, LocalVariable>;

type LocalVariableName = keyof typeof localVariables;

/**
 * Variables of the libraries the functions use, which the local stack sets for them unless the
 * shell does; deployed functions take their log level from the stack's `retrysafe:logLevel`.
 */
export const localLibraryVariables = {
  POWERTOOLS_LOG_LEVEL: { default: 'WARN', meaning: 'Log level of the structured JSON logs' },
  POWERTOOLS_METRICS_DISABLED: { default: 'true', meaning: 'Local stack and tests do not emit CloudWatch EMF metrics' },
} as const satisfies Record<string, LocalVariable>;

/**
 * Handler settings (lambdas/settings.ts) the local stack gives its functions. The deployed
 * stack points PROCESSOR_URL at the processor's function URL; locally it is the processor
 * process. Webhook receivers under development listen on loopback addresses.
 */
export const localHandlerSettings = (settings: LocalSettings): SettingValues => ({
  PROCESSOR_URL: `http://127.0.0.1:${settings.processorPort}`,
  WEBHOOK_ALLOW_LOOPBACK: true,
});

export const portVariables = {
  apiPort: 'PORT',
  dynamodbPort: 'DYNAMODB_PORT',
  sqsPort: 'SQS_PORT',
  processorPort: 'PROCESSOR_PORT',
} as const satisfies Record<string, LocalVariableName>;

const valueOf = (env: NodeJS.ProcessEnv, variable: LocalVariableName): string => {
  const raw = env[variable];
  return raw === undefined || raw === '' ? localVariables[variable].default : raw;
};

const portFromEnv = (env: NodeJS.ProcessEnv, variable: LocalVariableName): number => {
  const raw = valueOf(env, variable);
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${variable}=${raw} is not a TCP port (1-65535).`);
  }
  return port;
};

export const readSettings = (argv: readonly string[], env: NodeJS.ProcessEnv = process.env): LocalSettings => ({
  apiPort: portFromEnv(env, portVariables.apiPort),
  dynamodbPort: portFromEnv(env, portVariables.dynamodbPort),
  sqsPort: portFromEnv(env, portVariables.sqsPort),
  processorPort: portFromEnv(env, portVariables.processorPort),
  dataDir: argv.includes('--in-memory') ? undefined : resolve(valueOf(env, 'DATA_DIR')),
});

/** A port the named variable fixes, or one the OS hands out when it is empty: for runs that must not collide, unless told where to listen. */
export const portOrFree = async (
  variable: 'TEST_DYNAMODB_PORT' | 'TEST_SQS_PORT' | 'BENCH_DYNAMODB_PORT',
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> => (valueOf(env, variable) === '' ? freePort() : portFromEnv(env, variable));

export const accessLogEnabled = (env: NodeJS.ProcessEnv = process.env): boolean => valueOf(env, 'ACCESS_LOG') !== 'false';

export const localConcurrency = (env: NodeJS.ProcessEnv = process.env): number => {
  const raw = valueOf(env, 'LOCAL_CONCURRENCY');
  const concurrency = Number(raw);
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new Error(`LOCAL_CONCURRENCY=${raw} is not a positive whole number.`);
  return concurrency;
};
