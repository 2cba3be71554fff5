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
import {
  callApi,
  createPrivateQueues,
  receiveCount,
  sqsEvent,
  startReceiver,
  streamRecordsFor,
  type PrivateQueues,
  type Receiver,
} from '../webhooks/support.js';

let processor: Awaited<ReturnType<typeof startSandbox>>;
let proxy: ForwardingProxy;
let queues: PrivateQueues;
let receiver: Receiver;
let publisherHandler: LambdaHandler;
let dispatcherHandler: LambdaHandler;
let endpointsHandler: Parameters<typeof callApi>[0];
let sqsDown = false;
let refused = 0;
const directSqs = new SQSClient({ endpoint: process.env.AWS_ENDPOINT_URL_SQS });

beforeAll(async () => {
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
  dispatcherHandler = (await import('../../lambdas/webhooks/dispatcher-handler.js')).handler as LambdaHandler;
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
    const records = await streamRecordsFor(tenant.account, 1);

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
});
