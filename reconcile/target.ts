import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CardProcessor } from '../lambdas/payments/processor-client/card-processor.js';
import { sandboxProcessorClient } from '../lambdas/payments/processor-client/sandbox-client.js';
import { sigV4Signer } from '../lambdas/payments/processor-client/sigv4.js';
import { reconcilerTables, type ReconcilerTable } from '../lambdas/reconciliation/reconciler-deps.js';
import { readSetting } from '../lambdas/settings.js';
import { createDocumentClient } from '../lambdas/shared/dynamodb.js';
import { localTableName } from '../local/provision.js';
import { readSettings } from '../local/settings.js';
import type { ReconcileTargetOptions } from './options.js';

/** Where a reconciliation reads and writes, as `npm run reconcile` was told. */
export interface ReconcileTarget {
  readonly description: string;
  readonly client: DynamoDBDocumentClient;
  readonly tables: Readonly<Record<ReconcilerTable, string>>;
  readonly processor: CardProcessor;
  readonly processorUrl: string;
  /** Releases the DynamoDB client. */
  close(): void;
}

const processorTimeoutMs = (): number => readSetting('PROCESSOR_TIMEOUT_MS');

export const openTarget = (options: ReconcileTargetOptions): ReconcileTarget => {
  switch (options.kind) {
    case 'local-stack': {
      const settings = readSettings([]);
      const dynamodb = new DynamoDBClient({
        endpoint: `http://127.0.0.1:${settings.dynamodbPort}`,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      const processorUrl = `http://127.0.0.1:${settings.processorPort}`;
      return {
        description: 'the local stack',
        client: createDocumentClient(dynamodb),
        tables: Object.fromEntries(reconcilerTables.map((table) => [table, localTableName(table)])) as Record<ReconcilerTable, string>,
        processor: sandboxProcessorClient({ baseUrl: processorUrl, timeoutMs: processorTimeoutMs() }),
        processorUrl,
        close: () => {
          dynamodb.destroy();
        },
      };
    }
    case 'remote': {
      const { region } = options;
      const config: DynamoDBClientConfig = {
        ...(region === undefined ? {} : { region }),
        ...(options.dynamodbEndpoint === undefined ? {} : { endpoint: options.dynamodbEndpoint }),
      };
      const dynamodb = new DynamoDBClient(config);
      const timeoutMs = processorTimeoutMs();
      return {
        description: options.processorUrl,
        client: createDocumentClient(dynamodb),
        tables: options.tables,
        processor:
          options.processorAuth === 'iam' && region !== undefined
            ? sandboxProcessorClient({
                baseUrl: options.processorUrl,
                timeoutMs,
                signRequest: sigV4Signer({ region, credentials: defaultProvider() }),
              })
            : sandboxProcessorClient({ baseUrl: options.processorUrl, timeoutMs }),
        processorUrl: options.processorUrl,
        close: () => {
          dynamodb.destroy();
        },
      };
    }
  }
};
