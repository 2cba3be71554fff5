import { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBBatchResponse } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadLetterQueueUrlEnvVar, queueUrlEnvVar } from '../../lambdas/topology.js';
import type { LambdaHandler } from '../../local/functions.js';
import { verifyWebhook } from '../../lambdas/webhooks/verify.js';
import { createLambdaContext } from '../../local/lambda-context.js';
import { api, json, sandbox, startSandbox } from '../payments/harness.js';
import { uniqueKey } from '../support/events.js';
import { startForwardingProxy, type ForwardingProxy } from '../support/forwarding-proxy.js';
import { createTenant } from '../support/tenants.js';
import { overdueAfterMs } from '../../lambdas/webhooks/delivery-state.js';
import { unpublishedAfterMs } from '../../lambdas/webhooks/outbox-sweep.js';
import type { SweepReport } from '../../lambdas/webhooks/sweeper.js';
import {
  callApi,
  createPrivateQueues,
  createPrivateStack,
  manualClock,
  receiveCount,
  receiveMessages,
  sqsEvent,
  startReceiver,
  streamRecordsFor,
  sweepAt,
  type PrivateQueues,
  type Receiver,
} from '../webhooks/support.js';

let processor: Awaited<ReturnType<typeof startSandbox>>;
let proxy: ForwardingProxy;
let queues: PrivateQueues;
let receiver: Receiver;
let streamArn: string | undefined;
let publisherHandler: LambdaHandler;
let dispatcherHandler: LambdaHandler;
let dispatcherModule: typeof import('../../lambdas/webhooks/dispatcher-handler.js');
let endpointsHandler: Parameters<typeof callApi>[0];
let sqsDown = false;
let refused = 0;
const directSqs = new SQSClient({ endpoint: process.env.AWS_ENDPOINT_URL_SQS });

beforeAll(async () => {
  // Tables of this file's own: the sweeper reads every tenant's unpublished events.
  streamArn = (await createPrivateStack()).streamArns.events;
  queues = await createPrivateQueues(directSqs);
  proxy = await startForwardingProxy(process.env.AWS_ENDPOINT_URL_SQS ?? '', () => {
    if (!sqsDown) return { kind: 'forward' };
    refused++;
    return { kind: 'drop' };
  });
  // The handler modules create their SQS client when imported, so they are imported after this.
  // The SDK sends each request to the host of its QueueUrl, so the queue URLs name the proxy too.
  const sqsEndpoint = process.env.AWS_ENDPOINT_URL_SQS ?? '';
  process.env.AWS_ENDPOINT_URL_SQS = proxy.endpoint;
  for (const variable of [queueUrlEnvVar('webhookDeliveries'), deadLetterQueueUrlEnvVar('webhookDeliveries')]) {
    process.env[variable] = (process.env[variable] ?? '').replace(sqsEndpoint, proxy.endpoint);
  }
  process.env.WEBHOOK_ALLOW_LOOPBACK = 'true';
  publisherHandler = (await import('../../lambdas/webhooks/publisher-handler.js')).handler as LambdaHandler;
  dispatcherModule = await import('../../lambdas/webhooks/dispatcher-handler.js');
  dispatcherHandler = dispatcherModule.handler as LambdaHandler;
  endpointsHandler = (await import('../../lambdas/webhooks/endpoints-handler.js')).handler;
  processor = await startSandbox();
  receiver = await startReceiver();
});
afterAll(async () => {
  processor.stop();
  proxy.stop();
  await receiver.close();
});

const publish = async (records: Awaited<ReturnType<typeof streamRecordsFor>>): Promise<DynamoDBBatchResponse> =>
  (await publisherHandler({ Records: records }, createLambdaContext('webhookPublisher', 30, 512))) as DynamoDBBatchResponse;

describe('the SQS service down for a while, then back', () => {
  it('delays the outbox event’s webhook instead of losing it', async () => {
    const tenant = await createTenant();
    const webhooksTenant = { accountId: tenant.account, apiKey: tenant.apiKey };
    const endpoint = await callApi(endpointsHandler, {
      method: 'POST',
      resource: '/v1/webhook_endpoints',
      tenant: webhooksTenant,
      body: { url: receiver.url, enabled_events: ['charge.succeeded'] },
    });
    expect(endpoint.status).toBe(201);

    sqsDown = true;
    const charge = await api({ processor: sandbox(processor.url) }).post('/v1/charges', {
      tenant,
      key: uniqueKey(),
      body: { amount: 4_200, currency: 'usd', source: 'tok_visa' },
    });
    expect(charge.statusCode).toBe(201);
    const records = await streamRecordsFor(tenant.account, 1, streamArn);

    // The stream mapping retries a failed record until it succeeds; here, twice during the outage.
    for (let retry = 0; retry < 2; retry++) {
      const result = await publish(records);
      expect(result.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual([records[0]?.dynamodb?.SequenceNumber]);
    }
    expect(refused).toBeGreaterThan(0);

    sqsDown = false;
    expect((await publish(records)).batchItemFailures).toEqual([]);
    const messages = await receiveCount(directSqs, queues.url, 1);
    await dispatcherHandler(sqsEvent(messages, queues.arn), createLambdaContext('webhookDispatcher', 30, 512));

    expect(receiver.requests).toHaveLength(1);
    const delivered = receiver.requests[0];
    const verification = verifyWebhook(String(endpoint.body.secret), delivered?.headers ?? {}, delivered?.body ?? '');
    expect(verification.valid).toBe(true);
    expect(JSON.parse(delivered?.body ?? '{}')).toMatchObject({ type: 'charge.succeeded', data: { object: { id: json(charge).id } } });
  });

  it('publishes the event through the sweeper, once and signed, when the outage outlasts the stream’s retries', async () => {
    const tenant = await createTenant();
    const late = await startReceiver();
    const endpoint = await callApi(endpointsHandler, {
      method: 'POST',
      resource: '/v1/webhook_endpoints',
      tenant: { accountId: tenant.account, apiKey: tenant.apiKey },
      body: { url: late.url, enabled_events: ['charge.succeeded'] },
    });
    expect(endpoint.status).toBe(201);

    sqsDown = true;
    const charge = await api({ processor: sandbox(processor.url) }).post('/v1/charges', {
      tenant,
      key: uniqueKey(),
      body: { amount: 1_500, currency: 'usd', source: 'tok_visa' },
    });
    expect(charge.statusCode).toBe(201);
    const records = await streamRecordsFor(tenant.account, 1, streamArn);
    expect((await publish(records)).batchItemFailures).toHaveLength(1);
    // The mapping gives up on the record once it is older than its maximum age; from then on
    // only the sweeper publishes the event, and while SQS is down it cannot either.
    const clock = manualClock();
    clock.advance(unpublishedAfterMs);
    const sweep = (): Promise<SweepReport> => sweepAt(clock);
    expect((await sweep()).unpublishedEvents).toEqual({ recovered: 0, failed: 1, finished: true });

    sqsDown = false;
    expect((await sweep()).unpublishedEvents).toEqual({ recovered: 1, failed: 0, finished: true });
    const dispatcherDeps = dispatcherModule.depsFromEnvironment();
    const dispatch = dispatcherModule.createDispatcherHandler({ ...dispatcherDeps, now: clock.now });
    expect(await dispatch(sqsEvent(await receiveCount(directSqs, queues.url, 1), queues.arn))).toEqual({ batchItemFailures: [] });
    await dispatcherDeps.sender.close();

    expect(late.requests).toHaveLength(1);
    const delivered = late.requests[0];
    expect(verifyWebhook(String(endpoint.body.secret), delivered?.headers ?? {}, delivered?.body ?? '', { now: clock.now }).valid).toBe(
      true,
    );
    expect(JSON.parse(delivered?.body ?? '{}')).toMatchObject({ type: 'charge.succeeded', data: { object: { id: json(charge).id } } });

    // Published and delivered: the sweeper has nothing left to send.
    clock.advance(overdueAfterMs);
    expect(await sweep()).toEqual({
      unpublishedEvents: { recovered: 0, failed: 0, finished: true },
      lostDeliveryMessages: { recovered: 0, failed: 0, finished: true },
    });
    expect(await receiveMessages(directSqs, queues.url, 0)).toEqual([]);
    await late.close();
  });
});
