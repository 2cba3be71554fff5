import {
  type AttributeValue,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  TrimmedDataAccessException,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBRecord, DynamoDBStreamEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { functions, type EventSourceSpec, type FunctionName } from '../lambdas/topology.js';
import type { LambdaHandler } from './functions.js';
import { createLambdaContext, invokeWithTimeout } from './lambda-context.js';

export interface RunningPoller {
  stop(): Promise<void>;
}

export type Log = (message: string, error?: unknown) => void;

export const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolveSleep) => {
    const wake = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', wake);
      resolveSleep();
    };
    const timer = setTimeout(wake, ms);
    signal.addEventListener('abort', wake, { once: true });
  });

/** Invokes the function's handler as Lambda would: a fresh context, under its timeout. */
export const invoke = (name: FunctionName, handler: LambdaHandler, event: unknown): Promise<unknown> => {
  const spec = functions[name];
  const context = createLambdaContext(name, spec.timeoutSeconds, spec.memoryMb);
  return invokeWithTimeout(name, spec.timeoutSeconds, () => handler(event, context));
};

const failedIds = (result: unknown): Set<string> =>
  new Set(((result as Partial<SQSBatchResponse> | undefined)?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));

/**
 * The SQS event source mapping as Lambda runs it: long-poll a batch, invoke, delete what
 * succeeded. Items reported in `batchItemFailures` (or the whole batch, when the handler
 * throws) stay on the queue and reappear after the visibility timeout; the queue's
 * RedrivePolicy moves them to the dead-letter queue after maxReceiveCount receives.
 */
export const pollQueue = (
  sqs: SQSClient,
  source: EventSourceSpec,
  queue: { url: string; arn: string },
  handler: LambdaHandler,
  log: Log,
): RunningPoller => {
  const abort = new AbortController();
  const stopped = () => abort.signal.aborted;
  const loop = async () => {
    while (!stopped()) {
      try {
        const received = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queue.url,
            MaxNumberOfMessages: Math.min(source.batchSize, 10),
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: abort.signal },
        );
        const messages = received.Messages ?? [];
        if (messages.length === 0) continue;
        const event: SQSEvent = {
          Records: messages.map((message) => ({
            messageId: message.MessageId ?? '',
            receiptHandle: message.ReceiptHandle ?? '',
            body: message.Body ?? '',
            attributes: message.Attributes as unknown as SQSEvent['Records'][number]['attributes'],
            messageAttributes: Object.fromEntries(
              Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
                name,
                { dataType: value.DataType ?? 'String', stringValue: value.StringValue, stringListValues: [], binaryListValues: [] },
              ]),
            ),
            md5OfBody: message.MD5OfBody ?? '',
            eventSource: 'aws:sqs',
            eventSourceARN: queue.arn,
            awsRegion: 'us-east-1',
          })),
        };
        let failed: Set<string>;
        try {
          failed = failedIds(await invoke(source.function, handler, event));
        } catch (error) {
          log(`${source.function} failed a batch of ${messages.length}; the messages will be retried`, error);
          continue;
        }
        const done = messages.filter((message) => !failed.has(message.MessageId ?? ''));
        if (done.length > 0) {
          await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: queue.url,
              Entries: done.map((message, i) => ({ Id: String(i), ReceiptHandle: message.ReceiptHandle ?? '' })),
            }),
          );
        }
      } catch (error) {
        if (stopped()) break;
        log(`Polling ${queue.url} failed; retrying`, error);
        await sleep(1000, abort.signal);
      }
    }
  };
  const running = loop();
  return {
    stop: async () => {
      abort.abort();
      await running;
    },
  };
};

/**
 * The Streams SDK client returns an empty map as {} (its M tag lost), while Lambda's event keeps
 * {"M":{}}. Lists keep their tag, so an untagged value can only be an empty map.
 */
const tagEmptyMaps = (value: AttributeValue): AttributeValue => {
  if (Object.keys(value).length === 0) return { M: {} };
  if (value.M !== undefined)
    return { M: Object.fromEntries(Object.entries(value.M).map(([name, member]) => [name, tagEmptyMaps(member)])) };
  if (value.L !== undefined) return { L: value.L.map(tagEmptyMaps) };
  return value;
};

const asLambdaImage = (image: Record<string, AttributeValue> | undefined): Record<string, AttributeValue> | undefined =>
  image === undefined ? undefined : Object.fromEntries(Object.entries(image).map(([name, value]) => [name, tagEmptyMaps(value)]));

/** A record as the Streams API returns it, in the shape the Lambda event source mapping delivers. */
export const toLambdaRecord = (record: StreamRecord, streamArn: string): DynamoDBRecord =>
  ({
    ...record,
    eventSourceARN: streamArn,
    dynamodb: {
      ...record.dynamodb,
      NewImage: asLambdaImage(record.dynamodb?.NewImage),
      OldImage: asLambdaImage(record.dynamodb?.OldImage),
      ApproximateCreationDateTime:
        record.dynamodb?.ApproximateCreationDateTime === undefined
          ? undefined
          : Math.floor(record.dynamodb.ApproximateCreationDateTime.getTime() / 1000),
    },
  }) as DynamoDBRecord;

/** The mapping's filter: a record of a kind the source does not list never reaches the function. */
export const invokesFunction = (source: EventSourceSpec, record: DynamoDBRecord): boolean =>
  source.eventNames === undefined || (record.eventName !== undefined && source.eventNames.includes(record.eventName));

/** Older than the source's maxRecordAgeSeconds: skipped rather than delivered or retried. */
export const isTooOld = (source: EventSourceSpec, record: DynamoDBRecord, nowMs: number): boolean => {
  const writtenSeconds = record.dynamodb?.ApproximateCreationDateTime;
  return (
    source.maxRecordAgeSeconds !== undefined &&
    writtenSeconds !== undefined &&
    nowMs - writtenSeconds * 1000 > source.maxRecordAgeSeconds * 1000
  );
};

export interface StreamPollerOptions {
  readonly pollIntervalMs?: number;
  /** Epoch milliseconds: the clock records are aged by. */
  readonly now?: () => number;
}

/**
 * The DynamoDB Streams event source mapping: every shard is read in order from the trim
 * horizon, and records the source's filter does not admit are dropped unseen. A failed batch is
 * retried from the first failed record (ReportBatchItemFailures); a record still failing after
 * `retryAttempts` (unless -1), or older than `maxRecordAgeSeconds`, is skipped with an error
 * log, as Lambda does when it gives up on a record.
 */
export const pollStream = (
  streamArn: string,
  source: EventSourceSpec,
  handler: LambdaHandler,
  log: Log,
  { pollIntervalMs = 250, now = Date.now }: StreamPollerOptions = {},
): RunningPoller => {
  const streams = new DynamoDBStreamsClient({});
  const abort = new AbortController();
  const stopped = () => abort.signal.aborted;
  const iterators = new Map<string, string | undefined>();
  const finished = new Set<string>();
  // Last delivered sequence number per shard, so a re-acquired iterator resumes rather than replays.
  const checkpoints = new Map<string, string>();

  const discoverShards = async () => {
    const description = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    for (const shard of description.StreamDescription?.Shards ?? []) {
      const shardId = shard.ShardId;
      if (shardId === undefined || iterators.has(shardId) || finished.has(shardId)) continue;
      const checkpoint = checkpoints.get(shardId);
      const { ShardIterator } = await streams.send(
        new GetShardIteratorCommand(
          checkpoint === undefined
            ? { StreamArn: streamArn, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }
            : { StreamArn: streamArn, ShardId: shardId, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: checkpoint },
        ),
      );
      iterators.set(shardId, ShardIterator);
    }
  };

  /** The records still worth delivering: those too old are skipped, wherever they are in the batch. */
  const withinAge = (records: DynamoDBRecord[]): DynamoDBRecord[] => {
    const nowMs = now();
    const fresh = records.filter((record) => !isTooOld(source, record, nowMs));
    if (fresh.length < records.length) {
      log(
        `${source.function} skipped ${records.length - fresh.length} stream records older than ${source.maxRecordAgeSeconds ?? '?'} seconds`,
      );
    }
    return fresh;
  };

  const deliver = async (records: DynamoDBRecord[]) => {
    let pending = records.filter((record) => invokesFunction(source, record));
    for (let attempt = 0; !abort.signal.aborted; attempt++) {
      pending = withinAge(pending);
      if (pending.length === 0) return;
      let failed: Set<string>;
      try {
        failed = failedIds(await invoke(source.function, handler, { Records: pending } satisfies DynamoDBStreamEvent));
      } catch (error) {
        log(`${source.function} failed a stream batch of ${pending.length}`, error);
        failed = new Set([pending[0]?.dynamodb?.SequenceNumber ?? '']);
      }
      const firstFailure = pending.findIndex((record) => failed.has(record.dynamodb?.SequenceNumber ?? ''));
      if (firstFailure === -1) return;
      pending = pending.slice(firstFailure);
      if (source.retryAttempts !== -1 && attempt + 1 >= (source.retryAttempts ?? 10)) {
        log(`${source.function} gave up on stream record ${pending[0]?.eventID ?? '?'} after ${attempt + 1} attempts`);
        pending = pending.slice(1);
        attempt = -1;
        continue;
      }
      await sleep(Math.min(100 * 2 ** attempt, 5_000), abort.signal);
    }
  };

  const loop = async () => {
    let lastDiscovery = 0;
    while (!abort.signal.aborted) {
      try {
        if (Date.now() - lastDiscovery > 5_000) {
          await discoverShards();
          lastDiscovery = Date.now();
        }
        let delivered = 0;
        for (const [shardId, iterator] of iterators) {
          if (iterator === undefined) {
            iterators.delete(shardId);
            finished.add(shardId);
            continue;
          }
          const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: source.batchSize }));
          iterators.set(shardId, page.NextShardIterator);
          const records = (page.Records ?? []).map((record) => toLambdaRecord(record, streamArn));
          const last = records.at(-1)?.dynamodb?.SequenceNumber;
          if (last !== undefined) {
            await deliver(records);
            checkpoints.set(shardId, last);
            delivered += records.length;
          }
        }
        if (delivered === 0) await sleep(pollIntervalMs, abort.signal);
      } catch (error) {
        if (stopped()) break;
        // DynamoDB Local sometimes reports a fresh shard's iterator as past its trim horizon; a
        // new iterator (after the checkpoint) reads on, so that alone is not worth a warning.
        if (!(error instanceof TrimmedDataAccessException)) log(`Polling stream ${streamArn} failed; retrying`, error);
        lastDiscovery = 0;
        iterators.clear();
        await sleep(error instanceof TrimmedDataAccessException ? pollIntervalMs : 1000, abort.signal);
      }
    }
  };
  const running = loop();
  return {
    stop: async () => {
      abort.abort();
      await running;
      streams.destroy();
    },
  };
};
