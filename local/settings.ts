import { resolve } from 'node:path';

/** Ports and paths of the local stack, each movable through the environment variable named here. */
export interface LocalSettings {
  readonly apiPort: number;
  readonly dynamodbPort: number;
  readonly sqsPort: number;
  readonly processorPort: number;
  /** DynamoDB Local's data directory; undefined keeps everything in memory. */
  readonly dataDir: string | undefined;
}

export const portVariables = {
  apiPort: 'PORT',
  dynamodbPort: 'DYNAMODB_PORT',
  sqsPort: 'SQS_PORT',
  processorPort: 'PROCESSOR_PORT',
} as const;

const defaults = { apiPort: 3000, dynamodbPort: 8000, sqsPort: 9324, processorPort: 4010 } as const;

const portFromEnv = (variable: string, fallback: number): number => {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${variable}=${raw} is not a TCP port (1-65535).`);
  }
  return port;
};

export const readSettings = (argv: readonly string[], env: NodeJS.ProcessEnv = process.env): LocalSettings => ({
  apiPort: portFromEnv(portVariables.apiPort, defaults.apiPort),
  dynamodbPort: portFromEnv(portVariables.dynamodbPort, defaults.dynamodbPort),
  sqsPort: portFromEnv(portVariables.sqsPort, defaults.sqsPort),
  processorPort: portFromEnv(portVariables.processorPort, defaults.processorPort),
  dataDir: argv.includes('--in-memory') ? undefined : resolve(env.DATA_DIR ?? '.data'),
});
