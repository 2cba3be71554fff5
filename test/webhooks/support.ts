import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import { CreateQueueCommand, GetQueueAttributesCommand, type Message, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord, SQSEvent } from 'aws-lambda';
import { inject } from 'vitest';
import { eventItem, type EventType, requestTrail, type RetrysafeEvent } from '../../lambdas/events/outbox.js';
import type { RouteHandler } from '../../lambdas/http/router.js';
import { accountPartition } from '../../lambdas/shared/account-partition.js';
import { dynamo } from '../../lambdas/shared/dynamodb.js';
import { tableName } from '../../lambdas/shared/env.js';
import { type AccountId, newId } from '../../lambdas/shared/ids.js';
import { deadLetterQueueUrlEnvVar, queues, queueUrlEnvVar, schedules } from '../../lambdas/topology.js';
import type { SweepReport } from '../../lambdas/webhooks/sweeper.js';
import { createSweeperHandler, depsFromEnvironment as sweeperDeps } from '../../lambdas/webhooks/sweeper-handler.js';
import { applyEnvironment } from '../../local/aws-env.js';
import { toLambdaRecord } from '../../local/event-sources.js';
import { createLambdaContext } from '../../local/lambda-context.js';
import { provision, type ProvisionedResources } from '../../local/provision.js';
import { scheduledEvent } from '../../local/schedules.js';
import { restApiEvent } from '../../local/proxy-events.js';
import { assertDocumented } from '../support/contract.js';
import { createTenant as createTestTenant } from '../support/tenants.js';

export interface Tenant {
  readonly accountId: AccountId;
  readonly apiKey: string;
}

/** A fresh account with its own API key: tests share one DynamoDB Local and never see each other's data. */
export const createTenant = async (): Promise<Tenant> => {
  const tenant = await createTestTenant();
  return { accountId: tenant.account, apiKey: tenant.apiKey };
};

export interface ApiCall {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** The route template, as API Gateway puts it in `resource`. */
  readonly resource: string;
  readonly tenant: Tenant;
  readonly id?: string;
  readonly body?: unknown;
  readonly query?: Record<string, string>;
  readonly headers?: Record<string, string>;
}

export interface ApiAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Record<string, unknown>;
}

/** Invokes a route handler with the REST proxy event the (local) API Gateway would build; the answer must be one openapi.json documents. */
export const callApi = async (handler: RouteHandler, call: ApiCall): Promise<ApiAnswer> => {
  const path = call.id === undefined ? call.resource : call.resource.replace('{id}', call.id);
  const event = restApiEvent({
    method: call.method,
    resource: call.resource,
    path,
    headers: { Authorization: `Bearer ${call.tenant.apiKey}`, ...call.headers },
    ...(call.query === undefined ? {} : { query: call.query }),
    ...(call.id === undefined ? {} : { pathParameters: { id: call.id } }),
    ...(call.body === undefined ? {} : { body: call.body }),
  });
  const response = await handler(event, createLambdaContext('webhookEndpoints', 10, 512));
  assertDocumented(call.method, call.resource, { status: response.statusCode, headers: response.headers, body: response.body });
  return { status: response.statusCode, headers: response.headers, body: JSON.parse(response.body) as Record<string, unknown> };
};

export interface ReceivedWebhook {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface ReceiverAnswer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  /** Hold the answer this long, to keep an attempt in flight. */
  readonly delayMs?: number;
}

export interface Receiver {
  readonly url: string;
  readonly port: number;
  readonly requests: ReceivedWebhook[];
  /** TCP connections accepted, to prove a refused destination was never connected to. */
  connections: number;
  /** Decides each answer from the 1-based number of the request. */
  answer: (requestNumber: number) => ReceiverAnswer;
  close(): Promise<void>;
}

/** A real HTTP receiver on 127.0.0.1 that records every webhook it gets. */
export const startReceiver = async (answer: Receiver['answer'] = () => ({ status: 200 })): Promise<Receiver> => {
  const requests: ReceivedWebhook[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      const reply = receiver.answer(requests.length);
      setTimeout(() => {
        response.writeHead(reply.status, reply.headers);
        response.end();
      }, reply.delayMs ?? 0);
    });
  });
  server.on('connection', () => {
    receiver.connections += 1;
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const { port } = server.address() as AddressInfo;
  const receiver: Receiver = {
    url: `http://127.0.0.1:${port}/webhooks`,
    port,
    requests,
    connections: 0,
    answer,
    close: () =>
      new Promise((resolveClose) => {
        server.closeAllConnections();
        server.close(() => {
          resolveClose();
        });
      }),
  };
  return receiver;
};

/** A server that accepts requests and never answers them. */
export const startSilentServer = async (): Promise<{ url: string; close(): Promise<void> }> => {
  const server = createServer(() => undefined);
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise((resolveClose) => {
        server.closeAllConnections();
        server.close(() => {
          resolveClose();
        });
      }),
  };
};

export interface PrivateQueues {
  readonly url: string;
  readonly arn: string;
  readonly deadLetterUrl: string;
}

/**
 * A delivery queue and DLQ of the caller's own, configured like the topology's, and set as this
 * worker's QUEUE_URL_/DLQ_URL_ variables: test files run in parallel, and on a shared queue one
 * file's poller would take another file's messages.
 */
export const createPrivateQueues = async (sqs: SQSClient): Promise<PrivateQueues> => {
  const suffix = randomUUID().slice(0, 8);
  const spec = queues.webhookDeliveries;
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `test-webhooks-${suffix}-dlq` }));
  const dlqUrl = dlq.QueueUrl ?? '';
  const dlqArn =
    (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn ?? '';
  const main = await sqs.send(
    new CreateQueueCommand({
      QueueName: `test-webhooks-${suffix}`,
      Attributes: {
        VisibilityTimeout: String(spec.visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: spec.maxReceiveCount }),
      },
    }),
  );
  const url = main.QueueUrl ?? '';
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn ?? '';
  process.env[queueUrlEnvVar('webhookDeliveries')] = url;
  process.env[deadLetterQueueUrlEnvVar('webhookDeliveries')] = dlqUrl;
  return { url, arn, deadLetterUrl: dlqUrl };
};

/**
 * Every table and queue of the topology, of the caller's own, set as this worker's environment.
 * For tests of the sweeper, which reads every tenant's unpublished events and pending
 * deliveries: on the shared tables it would publish, and deliver, other test files' events.
 */
export const createPrivateStack = async (): Promise<ProvisionedResources> => {
  const dynamodb = new DynamoDBClient({});
  const sqs = new SQSClient({});
  const resources = await provision(dynamodb, sqs, `private-${randomUUID().slice(0, 8)}`);
  dynamodb.destroy();
  sqs.destroy();
  applyEnvironment(resources.environment);
  return resources;
};

export const receiveMessages = async (sqs: SQSClient, queueUrl: string, waitSeconds = 1): Promise<Message[]> => {
  const received = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: waitSeconds,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
  );
  return received.Messages ?? [];
};

/** Receives until `count` messages have arrived (tests use a queue of their own). */
export const receiveCount = async (sqs: SQSClient, queueUrl: string, count: number): Promise<Message[]> => {
  const found: Message[] = [];
  await waitFor(async () => {
    found.push(...(await receiveMessages(sqs, queueUrl)));
    return found.length >= count ? found : undefined;
  }, `${count} messages`);
  return found;
};

/** The SQS event Lambda builds from received messages. */
export const sqsEvent = (messages: readonly Message[], queueArn: string): SQSEvent => ({
  Records: messages.map((message) => ({
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: message.Attributes as unknown as SQSEvent['Records'][number]['attributes'],
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: 'us-east-1',
  })),
});

/** Writes an outbox event the way the payments code does. */
export const writeEvent = async (accountId: AccountId, type: EventType, createdMs = Date.now()): Promise<RetrysafeEvent> => {
  const event: RetrysafeEvent = {
    id: newId('event', createdMs),
    object: 'event',
    type,
    created: Math.floor(createdMs / 1000),
    data: { object: { id: newId('charge', createdMs), object: 'charge', amount: 1999, currency: 'eur', metadata: {}, description: null } },
    request: requestTrail(`req-${createdMs}`, `key-${createdMs}`),
  };
  await dynamo().send(new PutCommand({ TableName: tableName('events'), Item: eventItem(accountId, event) }));
  return event;
};

const streams = new DynamoDBStreamsClient({});

/**
 * The events table's real stream records for one account, read from the trim horizon of every
 * shard, converted to the records the Lambda event source mapping delivers. Waits until `count`
 * records of the account are there.
 */
export const streamRecordsFor = async (
  accountId: AccountId,
  count: number,
  streamArn = inject('streamArns').events,
): Promise<DynamoDBRecord[]> => {
  if (streamArn === undefined) throw new Error('The events table has no stream');
  for (let round = 0; round < 50; round++) {
    const found: DynamoDBRecord[] = [];
    const description = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    for (const shard of description.StreamDescription?.Shards ?? []) {
      let iterator = (
        await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))
      ).ShardIterator;
      while (iterator !== undefined) {
        const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
        const records = page.Records ?? [];
        for (const record of records) {
          if (record.dynamodb?.NewImage?.pk?.S !== accountPartition(accountId)) continue;
          found.push(toLambdaRecord(record, streamArn));
        }
        iterator = records.length === 0 ? undefined : page.NextShardIterator;
      }
    }
    if (found.length >= count) return found;
    await sleep(100);
  }
  throw new Error(`The stream never showed ${count} records for ${accountId}`);
};

export const sleep = (ms: number): Promise<void> => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

/** Polls until `probe` returns a value; the limit only bounds a broken test, it asserts nothing. */
export const waitFor = async <T>(probe: () => Promise<T | undefined>, what: string, limitMs = 20_000): Promise<T> => {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Gave up waiting for ${what}`);
    await sleep(100);
  }
};

/** One run of the deployed sweeper handler at the clock's time, invoked as its schedule invokes it. */
export const sweepAt = (clock: { readonly now: () => number }): Promise<SweepReport> => {
  const schedule = schedules.find((entry) => entry.function === 'webhookSweeper');
  if (schedule === undefined) throw new Error('The sweeper has no schedule');
  const run = createSweeperHandler({ ...sweeperDeps(), now: clock.now });
  return run(scheduledEvent(schedule, new Date(clock.now())), createLambdaContext(schedule.function, 60, 512));
};

/** A clock the test moves by hand. */
export const manualClock = (startMs = Date.now()) => {
  let current = startMs;
  return {
    now: () => current,
    set: (ms: number) => {
      current = ms;
    },
    advance: (ms: number) => {
      current += ms;
    },
  };
};
