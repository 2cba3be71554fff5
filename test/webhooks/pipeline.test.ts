import { SQSClient } from '@aws-sdk/client-sqs';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RetrysafeEvent } from '../../lambdas/events/outbox.js';
import { eventSources } from '../../lambdas/topology.js';
import { sqs as sharedSqs } from '../../lambdas/shared/sqs.js';
import { DeliveryQueue, type DeliveryMessage, queueUrlsFromEnv } from '../../lambdas/webhooks/delivery-queue.js';
import { handler as dispatcherHandler } from '../../lambdas/webhooks/dispatcher-handler.js';
import { handler as endpointsHandler } from '../../lambdas/webhooks/endpoints-handler.js';
import {
  createPublisherHandler,
  depsFromEnvironment as publisherDeps,
  handler as publisherHandler,
} from '../../lambdas/webhooks/publisher-handler.js';
import type { WebhookDeliveryView } from '../../lambdas/webhooks/views.js';
import { verifyWebhook } from '../../lambdas/webhooks/verify.js';
import { pollQueue, type RunningPoller } from '../../local/event-sources.js';
import type { LambdaHandler } from '../../local/functions.js';
import { freePort } from '../../local/ports.js';
import {
  callApi,
  createPrivateQueues,
  createTenant,
  type PrivateQueues,
  type Receiver,
  receiveCount,
  sqsEvent,
  startReceiver,
  streamRecordsFor,
  type Tenant,
  waitFor,
  writeEvent,
} from './support.js';

class RecordingQueue extends DeliveryQueue {
  readonly sent: DeliveryMessage[] = [];

  override async enqueue(message: DeliveryMessage, delaySeconds?: number): Promise<void> {
    this.sent.push(message);
    await super.enqueue(message, delaySeconds);
  }
}

/**
 * The delivery pipeline end to end, through the deployed handler modules: real outbox writes,
 * the events table's real stream records, the SQS emulator, and a real HTTP receiver, under the
 * compressed schedule WEBHOOK_RETRY_SCHEDULE=1,1,1 (four attempts a round, about a second apart).
 */
describe('webhook delivery pipeline', () => {
  const sqs = new SQSClient({});
  // The deployed module: it reads WEBHOOK_ALLOW_LOOPBACK on its first invocation, after beforeAll.
  const api = endpointsHandler;
  const dispatcherSource = eventSources.find((source) => source.function === 'webhookDispatcher');
  let queues: PrivateQueues;
  const receivers: Receiver[] = [];
  const pollers: RunningPoller[] = [];

  beforeAll(() => {
    process.env.WEBHOOK_RETRY_SCHEDULE = '1,1,1';
    process.env.WEBHOOK_ALLOW_LOOPBACK = 'true';
  });
  // A queue per test: a stopped poller's last long poll can still take a message that arrives
  // within its wait, and that message would then stay invisible for the visibility timeout.
  beforeEach(async () => {
    queues = await createPrivateQueues(sqs);
  });
  afterAll(async () => {
    await Promise.all(pollers.map((poller) => poller.stop()));
    await Promise.all(receivers.map((receiver) => receiver.close()));
    sqs.destroy();
    delete process.env.WEBHOOK_RETRY_SCHEDULE;
    delete process.env.WEBHOOK_ALLOW_LOOPBACK;
  });

  const receiver = async (answer: Receiver['answer']): Promise<Receiver> => {
    const started = await startReceiver(answer);
    receivers.push(started);
    return started;
  };

  /** The dispatcher under the local event source mapping, as `npm start` runs it. */
  const startDispatching = (): RunningPoller => {
    if (dispatcherSource === undefined) throw new Error('No dispatcher event source in the topology');
    const poller = pollQueue(sqs, dispatcherSource, queues, dispatcherHandler as unknown as LambdaHandler, (message, error) => {
      console.error(message, error);
    });
    pollers.push(poller);
    return poller;
  };

  const register = async (tenant: Tenant, url: string, events: string[]) => {
    const answer = await callApi(api, { method: 'POST', resource: '/v1/webhook_endpoints', tenant, body: { url, enabled_events: events } });
    expect(answer.status).toBe(201);
    return { id: answer.body.id as string, secret: answer.body.secret as string };
  };

  const deliveries = async (tenant: Tenant, endpointId: string, status?: string): Promise<WebhookDeliveryView[]> => {
    const answer = await callApi(api, {
      method: 'GET',
      resource: '/v1/webhook_endpoints/{id}/deliveries',
      tenant,
      id: endpointId,
      ...(status === undefined ? {} : { query: { status } }),
    });
    expect(answer.status).toBe(200);
    return answer.body.data as WebhookDeliveryView[];
  };

  const deliveryWith = (tenant: Tenant, endpointId: string, status: string) =>
    waitFor(async () => (await deliveries(tenant, endpointId, status))[0], `a ${status} delivery`);

  const publishAll = async (tenant: Tenant, count: number, publish: typeof publisherHandler = publisherHandler) =>
    publish({ Records: await streamRecordsFor(tenant.accountId, count) });

  const expectSignedBy = (secret: string, request: { headers: Record<string, unknown>; body: string }, event: RetrysafeEvent) => {
    const headers = request.headers as Record<string, string>;
    expect(verifyWebhook(secret, headers, request.body)).toMatchObject({ valid: true });
    expect(new Webhook(secret).verify(request.body, headers)).toEqual(event);
  };

  it("pages an endpoint's deliveries newest event first, resuming after a delivery id", async () => {
    const tenant = await createTenant();
    const endpoint = await register(tenant, (await receiver(() => ({ status: 200 }))).url, ['*']);
    const events: RetrysafeEvent[] = [];
    for (let i = 0; i < 3; i++) events.push(await writeEvent(tenant.accountId, 'charge.succeeded'));
    expect(await publishAll(tenant, 3)).toEqual({ batchItemFailures: [] });

    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await callApi(api, {
        method: 'GET',
        resource: '/v1/webhook_endpoints/{id}/deliveries',
        tenant,
        id: endpoint.id,
        query: { limit: '2', ...(after === undefined ? {} : { starting_after: after }) },
      });
      const data = page.body.data as WebhookDeliveryView[];
      seen.push(...data.map((delivery) => delivery.event.id));
      if (page.body.has_more !== true) break;
      after = data.at(-1)?.id;
    }
    expect(seen).toEqual(events.map((event) => event.id).reverse());
  });

  it('retries a receiver that fails three times and delivers once, on the fourth attempt, under one webhook-id', async () => {
    const flaky = await receiver((n) => ({ status: n <= 3 ? 500 : 200 }));
    const tenant = await createTenant();
    const endpoint = await register(tenant, flaky.url, ['charge.succeeded']);
    const event = await writeEvent(tenant.accountId, 'charge.succeeded');
    expect(await publishAll(tenant, 1)).toEqual({ batchItemFailures: [] });

    const poller = startDispatching();
    const delivered = await deliveryWith(tenant, endpoint.id, 'delivered');
    await poller.stop();

    expect(flaky.requests).toHaveLength(4);
    expect(new Set(flaky.requests.map((request) => request.headers['webhook-id']))).toEqual(new Set([delivered.id]));
    for (const request of flaky.requests) expectSignedBy(endpoint.secret, request, event);
    expect(delivered).toMatchObject({ event: { id: event.id, type: 'charge.succeeded' }, status: 'delivered', failure_reason: null });
    expect(delivered.attempts.map((attempt) => [attempt.number, attempt.http_status, attempt.error])).toEqual([
      [1, 500, null],
      [2, 500, null],
      [3, 500, null],
      [4, 200, null],
    ]);
  });

  it('fails and dead-letters a delivery after the last attempt; a redrive to the recovered receiver delivers it once; its DLQ copy cannot send it again', async () => {
    const down = await receiver(() => ({ status: 503 }));
    const tenant = await createTenant();
    const endpoint = await register(tenant, down.url, ['*']);
    const event = await writeEvent(tenant.accountId, 'charge.failed');
    await publishAll(tenant, 1);

    const poller = startDispatching();
    const failed = await deliveryWith(tenant, endpoint.id, 'failed');
    expect(failed).toMatchObject({ failure_reason: 'attempts-exhausted', next_attempt_at: null });
    expect(failed.attempts.map((attempt) => attempt.http_status)).toEqual([503, 503, 503, 503]);
    expect(down.requests).toHaveLength(4);

    const [deadLetter] = await receiveCount(sqs, queues.deadLetterUrl, 1);
    if (deadLetter === undefined) throw new Error('no dead-letter copy');
    expect(deadLetter.MessageAttributes?.reason?.StringValue).toBe('attempts-exhausted');
    expect(JSON.parse(deadLetter.Body ?? '')).toEqual({
      accountId: tenant.accountId,
      endpointId: endpoint.id,
      eventId: event.id,
      attempt: 5,
    });

    down.answer = () => ({ status: 204 });
    const redrive = await callApi(api, {
      method: 'POST',
      resource: '/v1/webhook_endpoints/{id}/deliveries/redrive',
      tenant,
      id: endpoint.id,
    });
    expect(redrive).toMatchObject({
      status: 202,
      body: { object: 'webhook_redrive', webhook_endpoint: endpoint.id, count: 1, has_more: false },
    });
    const delivered = await deliveryWith(tenant, endpoint.id, 'delivered');
    await poller.stop();
    expect(delivered.attempts.map((attempt) => attempt.http_status)).toEqual([503, 503, 503, 503, 204]);
    expect(down.requests).toHaveLength(5);
    expectSignedBy(endpoint.secret, down.requests[4] ?? { headers: {}, body: '' }, event);

    // An operator moving the DLQ copy back (SQS's own redrive) after the API redrive: dropped.
    expect(await dispatcherHandler(sqsEvent([deadLetter], queues.arn))).toEqual({ batchItemFailures: [] });
    expect(down.requests).toHaveLength(5);
    // Delivered deliveries are never redriven.
    const again = await callApi(api, {
      method: 'POST',
      resource: '/v1/webhook_endpoints/{id}/deliveries/redrive',
      tenant,
      id: endpoint.id,
    });
    expect(again.body.count).toBe(0);
  });

  it('revives a failed delivery exactly once from its DLQ copy moved back, however many copies arrive', async () => {
    const down = await receiver(() => ({ status: 500 }));
    const tenant = await createTenant();
    const endpoint = await register(tenant, down.url, ['*']);
    await writeEvent(tenant.accountId, 'charge.succeeded');
    await publishAll(tenant, 1);
    const poller = startDispatching();
    await deliveryWith(tenant, endpoint.id, 'failed');
    await poller.stop();
    const [deadLetter] = await receiveCount(sqs, queues.deadLetterUrl, 1);
    if (deadLetter === undefined) throw new Error('no dead-letter copy');

    down.answer = () => ({ status: 200, delayMs: 50 });
    const copies = sqsEvent([deadLetter, { ...deadLetter, MessageId: 'copy-2' }, { ...deadLetter, MessageId: 'copy-3' }], queues.arn);
    const first = await dispatcherHandler(copies);
    const retried = first.batchItemFailures.map((failure) => failure.itemIdentifier);
    await dispatcherHandler({ Records: copies.Records.filter((record) => retried.includes(record.messageId)) });

    expect(down.requests).toHaveLength(5);
    const delivered = await deliveryWith(tenant, endpoint.id, 'delivered');
    expect(delivered.attempts).toHaveLength(5);
  });

  it('keeps one delivery per endpoint when the publisher is replayed over the same stream records', async () => {
    const everything = await receiver(() => ({ status: 200 }));
    const succeededOnly = await receiver(() => ({ status: 200 }));
    const refundsOnly = await receiver(() => ({ status: 200 }));
    const tenant = await createTenant();
    const all = await register(tenant, everything.url, ['*']);
    const succeeded = await register(tenant, succeededOnly.url, ['charge.succeeded']);
    const refunds = await register(tenant, refundsOnly.url, ['charge.refunded']);
    await writeEvent(tenant.accountId, 'charge.succeeded');

    const queue = new RecordingQueue(sharedSqs(), queueUrlsFromEnv);
    const sent = queue.sent;
    const publish = createPublisherHandler({ ...publisherDeps(), queue });
    expect(await publishAll(tenant, 1, publish)).toEqual({ batchItemFailures: [] });
    expect(await publishAll(tenant, 1, publish)).toEqual({ batchItemFailures: [] });
    // Not yet attempted, so the replay sent again: a message may have been lost before.
    expect(sent.map((message) => message.endpointId).sort()).toEqual([all.id, all.id, succeeded.id, succeeded.id].sort());

    const messages = await receiveCount(sqs, queues.url, 4);
    const first = await dispatcherHandler(sqsEvent(messages, queues.arn));
    const busy = new Set(first.batchItemFailures.map((failure) => failure.itemIdentifier));
    await dispatcherHandler(
      sqsEvent(
        messages.filter((message) => busy.has(message.MessageId ?? '')),
        queues.arn,
      ),
    );

    expect(everything.requests).toHaveLength(1);
    expect(succeededOnly.requests).toHaveLength(1);
    expect(refundsOnly.requests).toHaveLength(0);
    expect(await deliveries(tenant, all.id)).toHaveLength(1);
    expect(await deliveries(tenant, succeeded.id)).toHaveLength(1);
    expect(await deliveries(tenant, refunds.id)).toHaveLength(0);

    // Once attempted, a replay sends nothing more.
    expect(await publishAll(tenant, 1, publish)).toEqual({ batchItemFailures: [] });
    expect(sent).toHaveLength(4);
  });

  it("publishes only the events its own region wrote, though its stream shows another region's too", async () => {
    const everything = await receiver(() => ({ status: 200 }));
    const tenant = await createTenant();
    const endpoint = await register(tenant, everything.url, ['*']);
    const ownRegion = process.env.AWS_REGION;
    process.env.AWS_REGION = 'us-west-2';
    const replicated = await writeEvent(tenant.accountId, 'charge.succeeded');
    process.env.AWS_REGION = ownRegion;
    const own = await writeEvent(tenant.accountId, 'charge.refunded');

    const queue = new RecordingQueue(sharedSqs(), queueUrlsFromEnv);
    const publish = createPublisherHandler({ ...publisherDeps(), queue });
    expect(await publishAll(tenant, 2, publish)).toEqual({ batchItemFailures: [] });
    expect(queue.sent.map((message) => message.eventId)).toEqual([own.id]);
    expect((await deliveries(tenant, endpoint.id)).map((delivery) => delivery.event.id)).toEqual([own.id]);
    expect(replicated.id).not.toBe(own.id);
  });

  it('reports the stream record as failed while SQS is unreachable, and delivers the event late rather than losing it', async () => {
    const healthy = await receiver(() => ({ status: 200 }));
    const tenant = await createTenant();
    const endpoint = await register(tenant, healthy.url, ['*']);
    await writeEvent(tenant.accountId, 'charge.succeeded');
    await writeEvent(tenant.accountId, 'charge.refunded');
    const records = await streamRecordsFor(tenant.accountId, 2);

    const unreachable = new SQSClient({ endpoint: `http://127.0.0.1:${await freePort()}`, maxAttempts: 1 });
    const outage = createPublisherHandler({ ...publisherDeps(), queue: new DeliveryQueue(unreachable, queueUrlsFromEnv) });
    expect(await outage({ Records: records })).toEqual({ batchItemFailures: [{ itemIdentifier: records[0]?.dynamodb?.SequenceNumber }] });
    unreachable.destroy();
    const stranded = await deliveries(tenant, endpoint.id);
    expect(stranded).toEqual([expect.objectContaining({ status: 'pending', attempts: [] })]);

    // The event source mapping retries from the reported record once SQS is back.
    expect(await publisherHandler({ Records: records })).toEqual({ batchItemFailures: [] });
    const messages = await receiveCount(sqs, queues.url, 2);
    expect(await dispatcherHandler(sqsEvent(messages, queues.arn))).toEqual({ batchItemFailures: [] });
    expect(healthy.requests).toHaveLength(2);
    expect((await deliveries(tenant, endpoint.id, 'delivered')).map((delivery) => delivery.event.type).sort()).toEqual([
      'charge.refunded',
      'charge.succeeded',
    ]);
  });
});
