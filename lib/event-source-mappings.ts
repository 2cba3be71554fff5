import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { EventSourceMapping, FilterCriteria, FilterRule, type IFunction, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  accessLevels,
  eventSources,
  functions,
  type EventSourceSpec,
  type FunctionName,
  type FunctionSpec,
  type QueueName,
  type TableName,
} from '../lambdas/topology.js';
import { pascalCase } from './names.js';
import { acknowledgeTerminalQueue, deadLetterRetention, type QueuePair, secureQueueDefaults } from './work-queues.js';
import { deployed } from './deployed.js';

export interface EventSourceMappingsProps {
  readonly functions: Readonly<Partial<Record<FunctionName, IFunction>>>;
  readonly tables: Readonly<Partial<Record<TableName, ITable>>>;
  readonly queues: Readonly<Record<QueueName, QueuePair>>;
  readonly removalPolicy: RemovalPolicy;
}

export interface StreamFailureQueue {
  readonly source: EventSourceSpec;
  readonly queue: Queue;
}

/** Construct ids name the function and what it reads, e.g. WebhookPublisherEvents. */
export const mappingId = (source: EventSourceSpec): string =>
  `${pascalCase(source.function)}${pascalCase(source.source.kind === 'queue' ? source.source.queue : source.source.table)}`;

/** A batching window of 0 is the service default; CloudFormation is left to apply it. */
const batchingWindow = (source: EventSourceSpec): Duration | undefined =>
  source.maxBatchingWindowSeconds > 0 ? Duration.seconds(source.maxBatchingWindowSeconds) : undefined;

/** One filter admitting the records of the listed kinds: Lambda drops the others without invoking. */
const eventNameFilters = (source: EventSourceSpec): { [key: string]: unknown }[] | undefined =>
  source.eventNames === undefined ? undefined : [FilterCriteria.filter({ eventName: FilterRule.or(...source.eventNames) })];

/**
 * The topology's event sources as Lambda event source mappings. A function that 'consume's a
 * queue or reads a table's 'stream' must have a mapping for it, and every mapping must be
 * backed by such an access level (which is what grants the function's role the reads the
 * mapping performs); a mismatch is a topology error, reported at synth.
 */
export class EventSourceMappings extends Construct {
  readonly streamFailureQueues: readonly StreamFailureQueue[];

  constructor(scope: Construct, id: string, props: EventSourceMappingsProps) {
    super(scope, id);
    assertMappingsMatchAccess();
    const failureQueues: StreamFailureQueue[] = [];
    for (const source of eventSources as readonly EventSourceSpec[]) {
      const target = deployed(props.functions, source.function);
      if (source.source.kind === 'queue') {
        this.mapQueue(source, target, props.queues[source.source.queue].queue);
      } else {
        failureQueues.push({
          source,
          queue: this.mapStream(source, target, deployed(props.tables, source.source.table), props.removalPolicy),
        });
      }
    }
    this.streamFailureQueues = failureQueues;
  }

  private mapQueue(source: EventSourceSpec, target: IFunction, queue: Queue): void {
    const mapping = new EventSourceMapping(this, `${mappingId(source)}Queue`, {
      target,
      eventSourceArn: queue.queueArn,
      batchSize: source.batchSize,
      maxBatchingWindow: batchingWindow(source),
      reportBatchItemFailures: true,
      maxConcurrency: source.maxConcurrency,
    });
    Validations.of(mapping.node.findChild('Resource')).acknowledge({
      id: 'Serverless-LambdaEventSourceMappingDestination',
      reason:
        "Lambda offers no on-failure destination for SQS event sources: a message that keeps failing stays on the queue, and the queue's redrive policy moves it to its dead-letter queue after maxReceiveCount receives.",
    });
  }

  /** Returns the queue that receives what the mapping gives up on. */
  private mapStream(source: EventSourceSpec, target: IFunction, table: ITable, removalPolicy: RemovalPolicy): Queue {
    const streamArn = table.tableStreamArn;
    if (streamArn === undefined) throw new Error(`${source.function} reads the stream of ${table.node.path}, which has none`);
    const failureQueue = new Queue(this, `${mappingId(source)}StreamFailures`, {
      ...secureQueueDefaults,
      retentionPeriod: deadLetterRetention,
      removalPolicy,
    });
    acknowledgeTerminalQueue(failureQueue);
    Validations.of(failureQueue.node.findChild('Resource')).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is itself a dead-letter destination: the stream mapping's on-failure destination for records that exhausted their retries.",
    });
    new EventSourceMapping(this, `${mappingId(source)}Stream`, {
      target,
      eventSourceArn: streamArn,
      // TRIM_HORIZON, not LATEST: the mapping becomes active some time after the table and its
      // stream exist, and outbox events written in between would never become webhooks under
      // LATEST. Replaying up to the stream's 24 hours (on first deploy, or when the mapping is
      // replaced) is safe because the publisher creates each delivery at most once.
      startingPosition: StartingPosition.TRIM_HORIZON,
      batchSize: source.batchSize,
      maxBatchingWindow: batchingWindow(source),
      reportBatchItemFailures: true,
      // Halving a failing batch isolates a poison record in a few attempts, so the rest of its
      // batch is delivered instead of waiting behind it.
      bisectBatchOnError: true,
      retryAttempts: source.retryAttempts,
      maxRecordAge: source.maxRecordAgeSeconds === undefined ? undefined : Duration.seconds(source.maxRecordAgeSeconds),
      filters: eventNameFilters(source),
      // What Lambda sends here describes the skipped records (shard, sequence numbers): enough
      // to read them again from the stream while it retains them. Their items say more: an
      // outbox event skipped here is still unpublished, and the webhook sweeper publishes it.
      onFailure: new SqsDlq(failureQueue),
    });
    return failureQueue;
  }
}

const accessKey = (fn: FunctionName, access: 'consume' | 'stream', resource: string): string => `${fn} ${access} ${resource}`;

const assertMappingsMatchAccess = (): void => {
  const mapped = new Set(
    (eventSources as readonly EventSourceSpec[]).map((source) =>
      source.source.kind === 'queue'
        ? accessKey(source.function, 'consume', source.source.queue)
        : accessKey(source.function, 'stream', source.source.table),
    ),
  );
  const declared = new Set<string>();
  for (const [name, spec] of Object.entries(functions) as [FunctionName, FunctionSpec][]) {
    for (const [table, accesses] of Object.entries(spec.tables))
      if (accessLevels(accesses).includes('stream')) declared.add(accessKey(name, 'stream', table));
    for (const [queue, access] of Object.entries(spec.queues ?? {}))
      if (access === 'consume') declared.add(accessKey(name, 'consume', queue));
  }
  const unmatched = [...mapped].filter((key) => !declared.has(key)).concat([...declared].filter((key) => !mapped.has(key)));
  if (unmatched.length > 0) throw new Error(`Topology event sources and access levels disagree: ${unmatched.join('; ')}`);
};
