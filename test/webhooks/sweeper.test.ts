import { DeleteMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventKey, type RetrysafeEvent } from '../../lambdas/events/outbox.js';
import { OutboxStore } from '../../lambdas/events/outbox-store.js';
import { dynamo } from '../../lambdas/shared/dynamodb.js';
import { tableName } from '../../lambdas/shared/env.js';
import type { EventId, WebhookEndpointId } from '../../lambdas/shared/ids.js';
import type { TableKey } from '../../lambdas/shared/sweep-index.js';
import { DeliveryQueue, queueUrlsFromEnv } from '../../lambdas/webhooks/delivery-queue.js';
import { overdueAfterMs } from '../../lambdas/webhooks/delivery-state.js';
import { DeliveryStore } from '../../lambdas/webhooks/delivery-store.js';
import { leaseMs } from '../../lambdas/webhooks/dispatcher.js';
import { createDispatcherHandler, depsFromEnvironment as dispatcherDeps } from '../../lambdas/webhooks/dispatcher-handler.js';
import { createEndpointsHandler, depsFromEnvironment as endpointsDeps } from '../../lambdas/webhooks/endpoints-handler.js';
import type { WebhookSender } from '../../lambdas/webhooks/http-sender.js';
import { unpublishedAfterMs } from '../../lambdas/webhooks/outbox-sweep.js';
import { createPublisherHandler, depsFromEnvironment as publisherDeps } from '../../lambdas/webhooks/publisher-handler.js';
import type { SweepReport } from '../../lambdas/webhooks/sweeper.js';
import { sweepOnce } from '../../lambdas/webhooks/sweeper.js';
import { depsFromEnvironment as sweeperDeps } from '../../lambdas/webhooks/sweeper-handler.js';
import { verifyWebhook } from '../../lambdas/webhooks/verify.js';
import { freePort } from '../../local/ports.js';
import {
  callApi,
  createPrivateQueues,
  createPrivateStack,
  createTenant,
  manualClock,
  type PrivateQueues,
  type Receiver,
  receiveCount,
  receiveMessages,
  sqsEvent,
  startReceiver,
  streamRecordsFor,
  sweepAt,
  type Tenant,
  writeEvent,
} from './support.js';

type Clock = ReturnType<typeof manualClock>;

class OutboxCrashingBeforeTheMark extends OutboxStore {
  override markPublished(): Promise<void> {
    return Promise.reject(new Error('killed before marking the event published'));
  }
}

const nothingToDo: SweepReport = {
  unpublishedEvents: { recovered: 0, failed: 0, finished: true },
  lostDeliveryMessages: { recovered: 0, failed: 0, finished: true },
};

/**
 * The webhook sweeper on DynamoDB Local and the SQS emulator, with tables of this file's own:
 * it reads every tenant's unpublished events and pending deliveries. Time is a manual clock
 * shared by the sweeper, the dispatcher and the receiver's verification, so the thresholds are
 * crossed by moving it, never by waiting. Each test leaves every event published and every
 * delivery settled, so the next one finds only its own work.
 */
describe('webhook sweeper', () => {
  const sqs = new SQSClient({});
  let streamArn: string | undefined;
  let queues: PrivateQueues;
  const receivers: Receiver[] = [];
  const senders: WebhookSender[] = [];

  beforeAll(async () => {
    process.env.WEBHOOK_ALLOW_LOOPBACK = 'true';
    streamArn = (await createPrivateStack()).streamArns.events;
  });
  beforeEach(async () => {
    queues = await createPrivateQueues(sqs);
  });
  afterAll(async () => {
    await Promise.all(senders.map((sender) => sender.close()));
    await Promise.all(receivers.map((receiver) => receiver.close()));
    sqs.destroy();
    delete process.env.WEBHOOK_ALLOW_LOOPBACK;
  });

  const outbox = () => new OutboxStore(dynamo(), () => tableName('events'));
  const deliveries = () => new DeliveryStore(dynamo(), () => tableName('webhooks'));

  const sweep = sweepAt;

  const dispatcherAt = (clock: Clock) => {
    const deps = dispatcherDeps();
    senders.push(deps.sender);
    return createDispatcherHandler({ ...deps, now: clock.now });
  };

  const setUp = async (): Promise<{ tenant: Tenant; target: Receiver; endpoint: { id: WebhookEndpointId; secret: string } }> => {
    const target = await startReceiver(() => ({ status: 200 }));
    receivers.push(target);
    const tenant = await createTenant();
    const api = createEndpointsHandler({ ...endpointsDeps(), allowLoopback: true });
    const answer = await callApi(api, {
      method: 'POST',
      resource: '/v1/webhook_endpoints',
      tenant,
      body: { url: target.url, enabled_events: ['*'] },
    });
    expect(answer.status).toBe(201);
    return { tenant, target, endpoint: { id: answer.body.id as WebhookEndpointId, secret: answer.body.secret as string } };
  };

  const expectSignedOnce = (target: Receiver, secret: string, event: RetrysafeEvent, clock: Clock) => {
    expect(target.requests).toHaveLength(1);
    const request = target.requests[0] ?? { headers: {}, body: '' };
    expect(verifyWebhook(secret, request.headers as Record<string, string>, request.body, { now: clock.now })).toMatchObject({
      valid: true,
    });
    expect(JSON.parse(request.body)).toEqual(event);
  };

  const isPublished = async (key: TableKey): Promise<boolean> => (await outbox().read(key))?.unpublishedSince === undefined;

  it('publishes an event the stream never did, once and signed, after it has been unpublished for the threshold', async () => {
    const { tenant, target, endpoint } = await setUp();
    const event = await writeEvent(tenant.accountId, 'charge.succeeded');
    const clock = manualClock();

    // The stream is still within its retries: not the sweeper's business yet.
    expect(await sweep(clock)).toEqual(nothingToDo);
    expect(await isPublished(eventKey(tenant.accountId, event.id))).toBe(false);

    clock.advance(unpublishedAfterMs);
    expect(await sweep(clock)).toEqual({ ...nothingToDo, unpublishedEvents: { recovered: 1, failed: 0, finished: true } });
    expect(await isPublished(eventKey(tenant.accountId, event.id))).toBe(true);
    await dispatcherAt(clock)(sqsEvent(await receiveCount(sqs, queues.url, 1), queues.arn));
    expectSignedOnce(target, endpoint.secret, event, clock);

    // Published and delivered: however much later, the sweeper has nothing to do.
    clock.advance(overdueAfterMs);
    expect(await sweep(clock)).toEqual(nothingToDo);
    expect(await receiveMessages(sqs, queues.url, 0)).toEqual([]);
  });

  it('marks an event published once the stream publisher has enqueued its deliveries', async () => {
    const { tenant, target, endpoint } = await setUp();
    const event = await writeEvent(tenant.accountId, 'charge.refunded');
    const publish = createPublisherHandler(publisherDeps());
    expect(await publish({ Records: await streamRecordsFor(tenant.accountId, 1, streamArn) })).toEqual({ batchItemFailures: [] });
    expect(await isPublished(eventKey(tenant.accountId, event.id))).toBe(true);

    const clock = manualClock();
    await dispatcherAt(clock)(sqsEvent(await receiveCount(sqs, queues.url, 1), queues.arn));
    expectSignedOnce(target, endpoint.secret, event, clock);
    clock.advance(unpublishedAfterMs + overdueAfterMs);
    expect(await sweep(clock)).toEqual(nothingToDo);
  });

  it('sends nothing when it re-publishes an event that was delivered but never marked published', async () => {
    const { tenant, target, endpoint } = await setUp();
    const event = await writeEvent(tenant.accountId, 'charge.succeeded');
    const crashing = createPublisherHandler({
      ...publisherDeps(),
      outbox: new OutboxCrashingBeforeTheMark(dynamo(), () => tableName('events')),
    });
    const records = await streamRecordsFor(tenant.accountId, 1, streamArn);
    expect(await crashing({ Records: records })).toEqual({ batchItemFailures: [{ itemIdentifier: records[0]?.dynamodb?.SequenceNumber }] });
    const clock = manualClock();
    await dispatcherAt(clock)(sqsEvent(await receiveCount(sqs, queues.url, 1), queues.arn));
    expectSignedOnce(target, endpoint.secret, event, clock);

    clock.advance(unpublishedAfterMs);
    expect(await sweep(clock)).toEqual({ ...nothingToDo, unpublishedEvents: { recovered: 1, failed: 0, finished: true } });
    expect(await isPublished(eventKey(tenant.accountId, event.id))).toBe(true);
    expect(await receiveMessages(sqs, queues.url, 0)).toEqual([]);
    expect(target.requests).toHaveLength(1);
  });

  it('delivers once a delivery a killed dispatcher left pending, its lease expired and its message gone', async () => {
    const { tenant, target, endpoint } = await setUp();
    const event = await writeEvent(tenant.accountId, 'charge.succeeded');
    expect(await createPublisherHandler(publisherDeps())({ Records: await streamRecordsFor(tenant.accountId, 1, streamArn) })).toEqual({
      batchItemFailures: [],
    });
    const pending = await deliveries().get(endpoint.id, event.id);
    if (pending?.status !== 'pending') throw new Error('expected a pending delivery');
    const clock = manualClock(pending.nextAttemptAt);
    // Until its message could no longer be on its way, the delivery is left alone.
    clock.advance(overdueAfterMs - 1_000);
    expect(await sweep(clock)).toEqual(nothingToDo);

    // A dispatcher got to the message late, took the lease for the first attempt, and was killed
    // with the emulator that held the message.
    const [message] = await receiveCount(sqs, queues.url, 1);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queues.url, ReceiptHandle: message?.ReceiptHandle }));
    expect(await deliveries().claim(pending, 'killed', clock.now() + leaseMs, clock.now())).toBeDefined();

    // Overdue now, but its attempt may still be in progress while the lease lives.
    clock.advance(1_000);
    expect(await sweep(clock)).toEqual(nothingToDo);
    clock.advance(leaseMs);
    expect(await sweep(clock)).toEqual({ ...nothingToDo, lostDeliveryMessages: { recovered: 1, failed: 0, finished: true } });
    // Its message is on its way now: the next sweep leaves it alone again.
    expect(await sweep(clock)).toEqual(nothingToDo);

    const [resent] = await receiveCount(sqs, queues.url, 1);
    expect(JSON.parse(resent?.Body ?? '')).toEqual({ accountId: tenant.accountId, endpointId: endpoint.id, eventId: event.id, attempt: 1 });
    await dispatcherAt(clock)(sqsEvent(resent === undefined ? [] : [resent], queues.arn));
    expectSignedOnce(target, endpoint.secret, event, clock);
    expect(await deliveries().get(endpoint.id, event.id)).toMatchObject({ status: 'delivered', attemptCount: 1 });
    expect(await receiveMessages(sqs, queues.url, 0)).toEqual([]);
  });

  it('sends a lost message once however many sweeps overlap', async () => {
    const { tenant, target, endpoint } = await setUp();
    const event = await writeEvent(tenant.accountId, 'charge.succeeded');
    await createPublisherHandler(publisherDeps())({ Records: await streamRecordsFor(tenant.accountId, 1, streamArn) });
    const [message] = await receiveCount(sqs, queues.url, 1);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queues.url, ReceiptHandle: message?.ReceiptHandle }));
    const clock = manualClock();
    clock.advance(overdueAfterMs);

    const reports = await Promise.all([sweep(clock), sweep(clock), sweep(clock)]);
    expect(reports.reduce((sum, report) => sum + (report.lostDeliveryMessages?.recovered ?? 0), 0)).toBe(1);
    const resent = await receiveCount(sqs, queues.url, 1);
    expect(await receiveMessages(sqs, queues.url, 0)).toEqual([]);
    await dispatcherAt(clock)(sqsEvent(resent, queues.arn));
    expectSignedOnce(target, endpoint.secret, event, clock);
  });

  it('stops a run at its deadline, and a sweep after three failures in a row, leaving the rest to the next run', async () => {
    const { tenant, target } = await setUp();
    const events: RetrysafeEvent[] = [];
    for (let i = 0; i < 4; i++) events.push(await writeEvent(tenant.accountId, 'charge.succeeded'));
    const clock = manualClock();
    clock.advance(unpublishedAfterMs);

    expect((await sweepOnce({ ...sweeperDeps(), now: clock.now }, clock.now())).unpublishedEvents).toEqual({
      recovered: 0,
      failed: 0,
      finished: false,
    });

    const unreachable = new SQSClient({ endpoint: `http://127.0.0.1:${await freePort()}`, maxAttempts: 1 });
    const outage = { ...sweeperDeps(), queue: new DeliveryQueue(unreachable, queueUrlsFromEnv), now: clock.now };
    expect((await sweepOnce(outage, clock.now() + 60_000)).unpublishedEvents).toEqual({ recovered: 0, failed: 3, finished: false });
    unreachable.destroy();

    expect((await sweep(clock)).unpublishedEvents).toEqual({ recovered: 4, failed: 0, finished: true });
    const messages = await receiveCount(sqs, queues.url, 4);
    const dispatch = dispatcherAt(clock);
    const first = await dispatch(sqsEvent(messages, queues.arn));
    expect(first.batchItemFailures).toEqual([]);
    expect(new Set(target.requests.map((request) => (JSON.parse(request.body) as { id: EventId }).id))).toEqual(
      new Set(events.map((event) => event.id)),
    );
    expect(target.requests).toHaveLength(4);
    clock.advance(overdueAfterMs);
    expect(await sweep(clock)).toEqual(nothingToDo);
  });
});
