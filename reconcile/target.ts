import { defaultProvider } from '@aws-sdk/credential-provider-node';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CardProcessor } from '../lambdas/payments/processor-client/card-processor.js';
import { sandboxProcessorClient } from '../lambdas/payments/processor-client/sandbox-client.js';
import { sigV4Signer } from '../lambdas/payments/processor-client/sigv4.js';
import { reconcilerTables, type ReconcilerTable } from '../lambdas/reconciliation/reconciler-deps.js';
import { readSetting } from '../lambdas/settings.js';
import { readSettings } from '../local/settings.js';
import { localTableNames, openDynamo } from '../cli/aws-clients.js';
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
      const dynamo = openDynamo({ kind: 'local-stack', settings });
      const processorUrl = `http://127.0.0.1:${settings.processorPort}`;
      return {
        description: 'the local stack',
        client: dynamo.client,
        tables: localTableNames(reconcilerTables),
        processor: sandboxProcessorClient({ baseUrl: processorUrl, timeoutMs: processorTimeoutMs() }),
        processorUrl,
        close: dynamo.close,
      };
    }
    case 'remote': {
      const { region } = options;
      const dynamo = openDynamo({ kind: 'remote', region, dynamodbEndpoint: options.dynamodbEndpoint });
      const timeoutMs = processorTimeoutMs();
      return {
        description: options.processorUrl,
        client: dynamo.client,
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
        close: dynamo.close,
      };
    }
  }
};
