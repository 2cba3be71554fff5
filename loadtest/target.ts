import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { sigV4Signer } from '../lambdas/payments/processor-client/sigv4.js';
import { createDocumentClient } from '../lambdas/shared/dynamodb.js';
import { freePort } from '../local/ports.js';
import { readSettings } from '../local/settings.js';
import { startLocalStack } from '../local/stack.js';
import { startLocalRecoveryIntervalSeconds, type TargetOptions } from './options.js';
import type { TargetDescription } from './report.js';
import type { ProcessorAccess } from './server-state.js';

/**
 * Tables the load test touches: the tenant's key and limit (only to create a fresh tenant), the
 * ledger and the outbox (the audits), the idempotency table (the wait for the completer).
 */
export interface TargetTables {
  readonly apiKeys: string | undefined;
  readonly rateLimits: string | undefined;
  readonly ledger: string;
  readonly events: string;
  readonly idempotency: string;
}

export interface LoadTarget {
  readonly kind: TargetDescription['kind'];
  readonly apiUrl: string;
  readonly processor: ProcessorAccess;
  readonly dynamo: DynamoDBDocumentClient;
  readonly tables: TargetTables;
  /** Releases the DynamoDB client and stops a stack this process started. */
  close(): Promise<void>;
}

/** The physical table names the local stack gives the topology's tables (local/provision.ts). */
const localTables: TargetTables = {
  apiKeys: 'retrysafe-apiKeys',
  rateLimits: 'retrysafe-rateLimits',
  ledger: 'retrysafe-ledger',
  events: 'retrysafe-events',
  idempotency: 'retrysafe-idempotency',
};

const localDynamo = (port: number): DynamoDBClient =>
  new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });

const withClient = (
  client: DynamoDBClient,
  target: Omit<LoadTarget, 'dynamo' | 'close'>,
  stop: () => Promise<void> = () => Promise.resolve(),
): LoadTarget => ({
  ...target,
  dynamo: createDocumentClient(client),
  close: async () => {
    client.destroy();
    await stop();
  },
});

/**
 * Resolves where the load goes. `start-local` runs the whole stack in this process, silenced
 * (no access log, warnings only from errors up), so the progress line stays readable.
 */
export const openTarget = async (options: TargetOptions): Promise<LoadTarget> => {
  switch (options.kind) {
    case 'local-stack': {
      const settings = readSettings([]);
      return withClient(localDynamo(settings.dynamodbPort), {
        kind: 'local-stack',
        apiUrl: `http://127.0.0.1:${settings.apiPort}`,
        processor: { url: `http://127.0.0.1:${settings.processorPort}` },
        tables: localTables,
      });
    }
    case 'start-local': {
      process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
      process.env.RECOVERY_INTERVAL_SECONDS ??= String(startLocalRecoveryIntervalSeconds);
      const settings = {
        apiPort: await freePort(),
        dynamodbPort: await freePort(),
        sqsPort: await freePort(),
        processorPort: await freePort(),
        dataDir: readSettings(options.inMemory ? ['--in-memory'] : []).dataDir,
      };
      const stack = await startLocalStack(settings, () => undefined);
      return withClient(
        localDynamo(settings.dynamodbPort),
        { kind: 'started-in-process', apiUrl: stack.apiUrl, processor: { url: stack.processorUrl }, tables: localTables },
        () => stack.stop(),
      );
    }
    case 'remote': {
      const region = options.region ?? process.env.AWS_REGION;
      const config: DynamoDBClientConfig = {
        ...(region === undefined ? {} : { region }),
        ...(options.dynamodbEndpoint === undefined ? {} : { endpoint: options.dynamodbEndpoint }),
      };
      if (options.processorAuth === 'iam' && region === undefined) throw new Error('--processor-auth iam needs --region or AWS_REGION');
      const processor: ProcessorAccess =
        options.processorAuth === 'iam' && region !== undefined
          ? { url: options.processorUrl, signRequest: sigV4Signer({ region, credentials: defaultProvider() }) }
          : { url: options.processorUrl };
      return withClient(new DynamoDBClient(config), {
        kind: 'remote',
        apiUrl: options.baseUrl,
        processor,
        tables: {
          apiKeys: options.apiKeysTable,
          rateLimits: options.rateLimitsTable,
          ledger: options.ledgerTable,
          events: options.eventsTable,
          idempotency: options.idempotencyTable,
        },
      });
    }
  }
};
