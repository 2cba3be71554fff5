import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type AttributeDefinition,
  type CreateTableCommandInput,
  type GlobalSecondaryIndex,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  deadLetterQueueUrlEnvVar,
  queueUrlEnvVar,
  queues,
  tableDeployed,
  tableEnvVar,
  tables,
  type IndexSpec,
  type RetrysafeTableSpec,
  type KeyAttribute,
  type QueueName,
  type TableName,
  type TableSpec,
} from '../lambdas/topology.js';

export interface ProvisionedResources {
  /** Environment variables that tell the handlers each table's name and each queue's URL. */
  readonly environment: Record<string, string>;
  readonly streamArns: Partial<Record<TableName, string>>;
  readonly queueUrls: Record<QueueName, { url: string; arn: string; deadLetterUrl: string }>;
}

const attributeDefinitions = (keys: readonly (KeyAttribute | undefined)[]): AttributeDefinition[] => {
  const definitions = new Map<string, AttributeDefinition>();
  for (const key of keys) if (key) definitions.set(key.name, { AttributeName: key.name, AttributeType: key.type });
  return [...definitions.values()];
};

const indexInput = (index: IndexSpec): GlobalSecondaryIndex => ({
  IndexName: index.indexName,
  KeySchema: [
    { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
    ...(index.sortKey ? [{ AttributeName: index.sortKey.name, KeyType: 'RANGE' as const }] : []),
  ],
  Projection: { ProjectionType: index.projection ?? 'ALL' },
});

const createTableInput = (name: string, spec: TableSpec): CreateTableCommandInput => {
  const keys = [spec.partitionKey, spec.sortKey, ...(spec.globalSecondaryIndexes ?? []).flatMap((i) => [i.partitionKey, i.sortKey])];
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: attributeDefinitions(keys),
    KeySchema: [
      { AttributeName: spec.partitionKey.name, KeyType: 'HASH' },
      ...(spec.sortKey ? [{ AttributeName: spec.sortKey.name, KeyType: 'RANGE' as const }] : []),
    ],
    ...(spec.globalSecondaryIndexes?.length ? { GlobalSecondaryIndexes: spec.globalSecondaryIndexes.map(indexInput) } : {}),
    ...(spec.stream ? { StreamSpecification: { StreamEnabled: true, StreamViewType: spec.stream } } : {}),
  };
};

/** Adds the indexes the topology gained since a persistent data directory created the table, one at a time as DynamoDB requires. */
const addMissingIndexes = async (client: DynamoDBClient, name: string, spec: TableSpec, existing: TableDescription): Promise<void> => {
  const present = new Set((existing.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  for (const index of spec.globalSecondaryIndexes ?? []) {
    if (present.has(index.indexName)) continue;
    await client.send(
      new UpdateTableCommand({
        TableName: name,
        AttributeDefinitions: attributeDefinitions([index.partitionKey, index.sortKey]),
        GlobalSecondaryIndexUpdates: [{ Create: indexInput(index) }],
      }),
    );
  }
};

/** Creates the table when missing (a persistent data directory keeps it across restarts); returns its stream ARN. */
export const ensureTable = async (client: DynamoDBClient, name: string, spec: TableSpec): Promise<string | undefined> => {
  try {
    const existing = await client.send(new DescribeTableCommand({ TableName: name }));
    if (existing.Table !== undefined) await addMissingIndexes(client, name, spec, existing.Table);
    return existing.Table?.LatestStreamArn;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  const created = await client.send(new CreateTableCommand(createTableInput(name, spec)));
  await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: name });
  if (spec.ttlAttribute) {
    await client.send(
      new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { Enabled: true, AttributeName: spec.ttlAttribute } }),
    );
  }
  return created.TableDescription?.LatestStreamArn;
};

const ensureQueue = async (client: SQSClient, name: string, attributes: Record<string, string>) => {
  const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (!QueueUrl) throw new Error(`CreateQueue returned no URL for ${name}`);
  const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  const arn = Attributes?.QueueArn;
  if (!arn) throw new Error(`No ARN for queue ${name}`);
  return { url: QueueUrl, arn };
};

/** What the names of a local stack's tables and queues start with, unless the stack (a test suite) picks its own. */
const defaultPrefix = 'retrysafe';

/** The physical name a table of the topology gets in a local stack, `npm start`'s by default. */
export const localTableName = (table: TableName, prefix = defaultPrefix): string => `${prefix}-${table}`;

/** The physical names a queue of the topology and its dead-letter queue get in a local stack. */
export const localQueueNames = (queue: QueueName, prefix = defaultPrefix): { readonly main: string; readonly deadLetter: string } => ({
  main: `${prefix}-${queue}`,
  deadLetter: `${prefix}-${queue}-dlq`,
});

/**
 * Creates every table and queue the topology declares, with the same key schemas, indexes, TTL
 * attributes, streams, dead-letter queues and redrive counts the CDK stack deploys.
 */
export const provision = async (
  dynamodb: DynamoDBClient,
  sqs: SQSClient,
  prefix = defaultPrefix,
  deployment: { readonly multiRegion: boolean } = { multiRegion: false },
): Promise<ProvisionedResources> => {
  const environment: Record<string, string> = {};
  const streamArns: Partial<Record<TableName, string>> = {};
  for (const [table, spec] of Object.entries(tables) as [TableName, RetrysafeTableSpec][]) {
    // The local stack calls its own sandbox processor, so only the multi-region switch matters here.
    if (!tableDeployed(spec, { processor: 'sandbox', ...deployment })) continue;
    const physical = localTableName(table, prefix);
    const streamArn = await ensureTable(dynamodb, physical, spec);
    environment[tableEnvVar(table)] = physical;
    if (spec.stream && streamArn) streamArns[table] = streamArn;
  }

  const queueUrls = {} as ProvisionedResources['queueUrls'];
  for (const [queue, spec] of Object.entries(queues) as [QueueName, (typeof queues)[QueueName]][]) {
    const names = localQueueNames(queue, prefix);
    const deadLetter = await ensureQueue(sqs, names.deadLetter, { MessageRetentionPeriod: String(14 * 24 * 3600) });
    const main = await ensureQueue(sqs, names.main, {
      VisibilityTimeout: String(spec.visibilityTimeoutSeconds),
      MessageRetentionPeriod: String(spec.retentionSeconds),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetter.arn, maxReceiveCount: spec.maxReceiveCount }),
    });
    queueUrls[queue] = { ...main, deadLetterUrl: deadLetter.url };
    environment[queueUrlEnvVar(queue)] = main.url;
    environment[deadLetterQueueUrlEnvVar(queue)] = deadLetter.url;
  }
  return { environment, streamArns, queueUrls };
};
