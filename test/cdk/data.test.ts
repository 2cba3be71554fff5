import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import {
  eventSources,
  queues,
  tableDeployed,
  tables,
  type EventSourceSpec,
  type QueueName,
  type QueueSpec,
  type RetrysafeTableSpec,
  type TableName,
  type TableSpec,
} from '../../lambdas/topology.js';
import { unpublishedAfterMs } from '../../lambdas/webhooks/outbox-sweep.js';
import { mappingId } from '../../lib/event-source-mappings.js';
import { pascalCase } from '../../lib/names.js';
import { arnOf, logicalIdOf, synthesize } from './synthesize.js';

const { stack, template } = synthesize();

// Single-region: keyOwners (onlyMultiRegion) is not deployed; multi-region.test.ts covers it.
const tableEntries = (Object.entries(tables) as [TableName, RetrysafeTableSpec][]).filter(([, spec]) =>
  tableDeployed(spec, { processor: 'sandbox', multiRegion: false }),
);

const keySchemaOf = (keys: Pick<TableSpec, 'partitionKey' | 'sortKey'>) => [
  { AttributeName: keys.partitionKey.name, KeyType: 'HASH' },
  ...(keys.sortKey === undefined ? [] : [{ AttributeName: keys.sortKey.name, KeyType: 'RANGE' }]),
];

interface TableResource {
  readonly Properties: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

const tableResource = (name: TableName, from = template): TableResource => {
  const resources = from.findResources('AWS::DynamoDB::Table') as Record<string, TableResource>;
  const resource = resources[logicalIdOf(stack.tables.named(name))];
  if (resource === undefined) throw new Error(`No table resource for ${name}`);
  return resource;
};

const queueEntries = Object.entries(queues) as [QueueName, QueueSpec][];
const fourteenDays = 14 * 24 * 3600;

interface Resource {
  readonly Properties: Record<string, unknown>;
}

const resourceOf = (type: string, logicalId: string): Resource => {
  const resource = (template.findResources(type) as Record<string, Resource>)[logicalId];
  if (resource === undefined) throw new Error(`No ${type} ${logicalId}`);
  return resource;
};

const mappingFrom = (sourceArn: unknown): Resource => {
  const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping') as Record<string, Resource>).filter(
    (mapping) => JSON.stringify(mapping.Properties.EventSourceArn) === JSON.stringify(sourceArn),
  );
  expect(mappings).toHaveLength(1);
  return mappings[0] as Resource;
};

describe('DynamoDB tables', () => {
  it('creates exactly the tables of the topology, named by CloudFormation', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', tableEntries.length);
    template.allResourcesProperties('AWS::DynamoDB::Table', { TableName: Match.absent() });
  });

  it.each(tableEntries)('%s has the key schema of the topology', (name, spec) => {
    const indexKeys = (spec.globalSecondaryIndexes ?? []).flatMap((index) => [index.partitionKey, index.sortKey]);
    const definitions = new Map(
      [spec.partitionKey, spec.sortKey, ...indexKeys].flatMap((key) =>
        key === undefined ? [] : [[key.name, { AttributeName: key.name, AttributeType: key.type }] as const],
      ),
    );
    const properties = tableResource(name).Properties;
    expect(properties.KeySchema).toEqual(keySchemaOf(spec));
    expect(properties.AttributeDefinitions).toEqual(expect.arrayContaining([...definitions.values()]));
    expect(properties.AttributeDefinitions).toHaveLength(definitions.size);
  });

  it.each(tableEntries)('%s is on-demand with point-in-time recovery', (name) => {
    expect(tableResource(name).Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it.each(tableEntries)('%s expires items on the TTL attribute the topology names, if any', (name, spec) => {
    expect(tableResource(name).Properties.TimeToLiveSpecification).toEqual(
      spec.ttlAttribute === undefined ? undefined : { AttributeName: spec.ttlAttribute, Enabled: true },
    );
  });

  it.each(tableEntries)('%s has a stream exactly when the topology asks for one', (name, spec) => {
    expect(tableResource(name).Properties.StreamSpecification).toEqual(
      spec.stream === undefined ? undefined : { StreamViewType: spec.stream },
    );
  });

  it.each(tableEntries)('%s declares the global secondary indexes of the topology, with their keys and projection', (name, spec) => {
    expect(tableResource(name).Properties.GlobalSecondaryIndexes).toEqual(
      spec.globalSecondaryIndexes?.map((index) => ({
        IndexName: index.indexName,
        KeySchema: keySchemaOf(index),
        Projection: { ProjectionType: index.projection ?? 'ALL' },
      })),
    );
  });

  it('indexes unpublished events and pending deliveries by shard and time, keys only', () => {
    const keysOf = (name: TableName) =>
      (tableResource(name).Properties.GlobalSecondaryIndexes as { IndexName: string; KeySchema: unknown; Projection: unknown }[]).map(
        (index) => [index.IndexName, index.KeySchema, index.Projection],
      );
    const keysOnly = { ProjectionType: 'KEYS_ONLY' };
    expect(keysOf('events')).toEqual([
      [
        'unpublished',
        [
          { AttributeName: 'sweepShard', KeyType: 'HASH' },
          { AttributeName: 'unpublishedSince', KeyType: 'RANGE' },
        ],
        keysOnly,
      ],
    ]);
    expect(keysOf('webhooks')).toEqual([
      [
        'pendingDeliveries',
        [
          { AttributeName: 'sweepShard', KeyType: 'HASH' },
          { AttributeName: 'nextAttemptAt', KeyType: 'RANGE' },
        ],
        keysOnly,
      ],
    ]);
  });

  it('retains tables and protects them from deletion by default', () => {
    for (const [name] of tableEntries) {
      const resource = tableResource(name);
      expect(resource.DeletionPolicy).toBe('Retain');
      expect(resource.UpdateReplacePolicy).toBe('Retain');
      expect(resource.Properties.DeletionProtectionEnabled).toBe(true);
    }
  });

  it('lets a throwaway stack destroy its tables when the context says so, protection off so cdk destroy succeeds', () => {
    const throwaway = synthesize({ 'retrysafe:removalPolicy': 'destroy' });
    const resources = Object.values(throwaway.template.findResources('AWS::DynamoDB::Table') as Record<string, TableResource>);
    expect(resources).toHaveLength(tableEntries.length);
    for (const resource of resources) {
      expect(resource.DeletionPolicy).toBe('Delete');
      expect(resource.Properties.DeletionProtectionEnabled).toBe(false);
    }
  });

  it('refuses deletion protection on tables the stack is to destroy, at synth rather than at cdk destroy', () => {
    expect(() => synthesize({ 'retrysafe:removalPolicy': 'destroy', 'retrysafe:deletionProtection': true })).toThrow(
      /retrysafe:deletionProtection cannot be true with retrysafe:removalPolicy=destroy/,
    );
  });

  it('may leave retained tables unprotected when the context says so', () => {
    const unprotected = synthesize({ 'retrysafe:deletionProtection': 'false' });
    unprotected.template.allResourcesProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: false });
  });
});

describe('SQS queues', () => {
  it.each(queueEntries)('%s has the visibility timeout, retention and redrive policy of the topology', (name, spec) => {
    const { queue, deadLetterQueue } = stack.queues.byName[name];
    expect(resourceOf('AWS::SQS::Queue', logicalIdOf(queue)).Properties).toMatchObject({
      VisibilityTimeout: spec.visibilityTimeoutSeconds,
      MessageRetentionPeriod: spec.retentionSeconds,
      RedrivePolicy: { deadLetterTargetArn: arnOf(deadLetterQueue), maxReceiveCount: spec.maxReceiveCount },
    });
    expect(resourceOf('AWS::SQS::Queue', logicalIdOf(deadLetterQueue)).Properties).toMatchObject({ MessageRetentionPeriod: fourteenDays });
  });

  it('encrypts every queue and refuses requests without TLS', () => {
    template.allResourcesProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    const queueCount = Object.keys(template.findResources('AWS::SQS::Queue')).length;
    const denyPlainHttp = template.findResources('AWS::SQS::QueuePolicy', {
      Properties: {
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
        },
      },
    });
    expect(Object.keys(denyPlainHttp)).toHaveLength(queueCount);
  });
});

describe('event source mappings', () => {
  const streamSources = (eventSources as readonly EventSourceSpec[]).filter((source) => source.source.kind === 'stream');
  const queueSources = (eventSources as readonly EventSourceSpec[]).filter((source) => source.source.kind === 'queue');

  it('maps every event source of the topology, and nothing else', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', eventSources.length);
  });

  it.each(streamSources.map((source) => [source.function, source] as const))(
    'feeds the %s function from its table stream, filtered, with retries up to a maximum record age, bisection and a failure queue',
    (_, source) => {
      if (source.source.kind !== 'stream') throw new Error('not a stream source');
      const table = stack.tables.named(source.source.table);
      const failures = stack.eventSources.streamFailureQueues.find((entry) => entry.source === source);
      if (failures === undefined) throw new Error('no failure queue');
      expect(mappingFrom({ 'Fn::GetAtt': [logicalIdOf(table), 'StreamArn'] }).Properties).toEqual({
        EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(table), 'StreamArn'] },
        FunctionName: { Ref: logicalIdOf(stack.functions.named(source.function)) },
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: source.batchSize,
        ...(source.maxBatchingWindowSeconds > 0 ? { MaximumBatchingWindowInSeconds: source.maxBatchingWindowSeconds } : {}),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        MaximumRetryAttempts: source.retryAttempts,
        ...(source.maxRecordAgeSeconds === undefined ? {} : { MaximumRecordAgeInSeconds: source.maxRecordAgeSeconds }),
        ...(source.eventNames === undefined
          ? {}
          : { FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: source.eventNames }) }] } }),
        BisectBatchOnFunctionError: true,
        DestinationConfig: { OnFailure: { Destination: arnOf(failures.queue) } },
      });
      expect(resourceOf('AWS::SQS::Queue', logicalIdOf(failures.queue)).Properties).toMatchObject({
        MessageRetentionPeriod: fourteenDays,
        SqsManagedSseEnabled: true,
      });
    },
  );

  it('publishes new outbox events only, and gives up on a record after 15 minutes, when the sweeper has long taken its event over', () => {
    const events = mappingFrom({ 'Fn::GetAtt': [logicalIdOf(stack.tables.named('events')), 'StreamArn'] }).Properties;
    expect(events.FilterCriteria).toEqual({ Filters: [{ Pattern: '{"eventName":["INSERT"]}' }] });
    expect(events.MaximumRecordAgeInSeconds).toBe(900);
    expect(events.MaximumRecordAgeInSeconds).toBeGreaterThan(unpublishedAfterMs / 1000);
  });

  it.each(queueSources.map((source) => [source.function, source] as const))(
    'feeds the %s function from its queue, reporting partial batch failures',
    (_, source) => {
      if (source.source.kind !== 'queue') throw new Error('not a queue source');
      const queue = stack.queues.byName[source.source.queue].queue;
      expect(mappingFrom(arnOf(queue)).Properties).toEqual({
        EventSourceArn: arnOf(queue),
        FunctionName: { Ref: logicalIdOf(stack.functions.named(source.function)) },
        BatchSize: source.batchSize,
        ...(source.maxBatchingWindowSeconds > 0 ? { MaximumBatchingWindowInSeconds: source.maxBatchingWindowSeconds } : {}),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ...(source.maxConcurrency === undefined ? {} : { ScalingConfig: { MaximumConcurrency: source.maxConcurrency } }),
      });
    },
  );
});

describe('stack outputs', () => {
  it('exports every table name and queue URL', () => {
    for (const [name] of tableEntries) {
      template.hasOutput(`${pascalCase(name)}TableName`, { Value: { Ref: logicalIdOf(stack.tables.named(name)) } });
    }
    for (const [name] of queueEntries) {
      const { queue, deadLetterQueue } = stack.queues.byName[name];
      template.hasOutput(`${pascalCase(name)}QueueUrl`, { Value: { Ref: logicalIdOf(queue) } });
      template.hasOutput(`${pascalCase(name)}DeadLetterQueueUrl`, { Value: { Ref: logicalIdOf(deadLetterQueue) } });
    }
    for (const { source, queue } of stack.eventSources.streamFailureQueues) {
      template.hasOutput(`${mappingId(source)}StreamFailureQueueUrl`, { Value: { Ref: logicalIdOf(queue) } });
    }
  });
});
