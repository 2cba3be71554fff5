import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { startDynamoDbLocal } from '../../local/dynamodb-local.js';
import { portOrFree } from '../../local/settings.js';

/** The DynamoDB Local a benchmark runs on, and how to let go of it when done. */
export interface DynamoDbTarget {
  readonly endpoint: string;
  release(): Promise<void>;
}

/**
 * The endpoint given (a combined run shares one DynamoDB Local, so its figures compare) or a
 * DynamoDB Local of our own on a free port. The jar is a child process that outlives an
 * interrupted Node process, so Ctrl-C or SIGTERM stops it before exiting.
 */
export const dynamoDbTarget = async (endpoint: string | undefined): Promise<DynamoDbTarget> => {
  if (endpoint !== undefined) return { endpoint, release: () => Promise.resolve() };
  const running = await startDynamoDbLocal(await portOrFree('BENCH_DYNAMODB_PORT'), undefined);
  const onInterrupt = () => {
    void running.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onInterrupt);
  process.once('SIGTERM', onInterrupt);
  return {
    endpoint: running.endpoint,
    release: async () => {
      process.off('SIGINT', onInterrupt);
      process.off('SIGTERM', onInterrupt);
      await running.stop();
    },
  };
};

/**
 * A client for DynamoDB Local. No SDK retries, so every call a meter counts is one round trip
 * the code under measurement chose to make.
 */
export const localDynamoDbClient = (endpoint: string): DynamoDBClient =>
  new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });

export interface KeyTableSpec {
  readonly name: string;
  readonly partitionKey: string;
  readonly ttlAttribute?: string;
}

/** An on-demand table keyed by one string attribute, with native TTL when it has an expiry attribute. */
export const createKeyTable = async (client: DynamoDBClient, spec: KeyTableSpec): Promise<void> => {
  await client.send(
    new CreateTableCommand({
      TableName: spec.name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: spec.partitionKey, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: spec.partitionKey, KeyType: 'HASH' }],
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: spec.name });
  if (spec.ttlAttribute !== undefined) {
    await client.send(
      new UpdateTimeToLiveCommand({ TableName: spec.name, TimeToLiveSpecification: { Enabled: true, AttributeName: spec.ttlAttribute } }),
    );
  }
};
