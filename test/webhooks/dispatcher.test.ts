import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dynamo } from '../../lambdas/shared/dynamodb.js';
import { tableName } from '../../lambdas/shared/env.js';
import type { EventId, WebhookEndpointId } from '../../lambdas/shared/ids.js';
import type { DeliveryMessage } from '../../lambdas/webhooks/delivery-queue.js';
import { DeliveryStore } from '../../lambdas/webhooks/delivery-store.js';
import type { Resolver } from '../../lambdas/webhooks/destination-policy.js';
import type { MetricRecorder } from '../../lambdas/shared/metric-recorder.js';
import type { DispatcherDeps } from '../../lambdas/webhooks/dispatcher.js';
import { createDispatcherHandler, depsFromEnvironment as dispatcherDeps } from '../../lambdas/webhooks/dispatcher-handler.js';
import { createEndpointsHandler, depsFromEnvironment as endpointsDeps } from '../../lambdas/webhooks/endpoints-handler.js';
import { createSender, type WebhookSender } from '../../lambdas/webhooks/http-sender.js';
import { handler as publisherHandler } from '../../lambdas/webhooks/publisher-handler.js';
import { verifyWebhook } from '../../lambdas/webhooks/verify.js';
import type { WebhookDeliveryView, WebhookEndpointView } from '../../lambdas/webhooks/views.js';
import {
  callApi,
  createPrivateQueues,
  createTenant,
  manualClock,
  type PrivateQueues,
  type Receiver,
  receiveCount,
  receiveMessages,
  sqsEvent,
  startReceiver,
  streamRecordsFor,
  type Tenant,
  writeEvent,
} from './support.js';

const resolveTo =
  (address: string): Resolver =>
  () =>
    Promise.resolve([{ address, family: address.includes(':') ? 6 : 4 }]);

/**
 * The dispatcher's decisions, one invocation at a time: each test publishes through the real
 * publisher, receives the resulting messages from its own queue, and invokes the dispatcher
 * with them, with an injected clock where time matters.
 */
/** A recorder that keeps each count's name and dimensions (every dispatcher count is 1). */
const recordingMetrics = () => {
  const recorded: [string, Readonly<Record<string, string>> | undefined][] = [];
  const recorder: MetricRecorder<'webhookDispatcher'> = {
    record: (name, _unit, _value, dimensions) => {
      recorded.push([name, dimensions]);
    },
  };
  return Object.assign(recorder, { recorded });
};

describe('webhook dispatcher', () => {
  const sqs = new SQSClient({});
  const store = new DeliveryStore(dynamo(), () => tableName('webhooks'));
  const api = createEndpointsHandler({ ...endpointsDeps(), allowLoopback: true });
  let queues: PrivateQueues;
  const receivers: Receiver[] = [];
  const senders: WebhookSender[] = [];
  let deps: DispatcherDeps;
  let dispatch: ReturnType<typeof createDispatcherHandler>;
  const dispatcherWith = (overrides: Partial<DispatcherDeps>) => createDispatcherHandler({ ...deps, ...overrides });

  beforeAll(() => {
    process.env.WEBHOOK_RETRY_SCHEDULE = '1,1,1';
    process.env.WEBHOOK_ALLOW_LOOPBACK = 'true';
    deps = dispatcherDeps();
    senders.push(deps.sender);
    dispatch = createDispatcherHandler(deps);
  });
  beforeEach(async () => {
    queues = await createPrivateQueues(sqs);
  });
  afterAll(async () => {
    await Promise.all(senders.map((sender) => sender.close()));
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

  const register = async (tenant: Tenant, url: string, handler = api) => {
    const answer = await callApi(handler, {
      method: 'POST',
      resource: '/v1/webhook_endpoints',
      tenant,
      body: { url, enabled_events: ['*'] },
    });
    expect(answer.status).toBe(201);
    return { id: answer.body.id as WebhookEndpointId, secret: answer.body.secret as string };
  };

  /** Writes `count` events, publishes them, and returns their messages. */
  const publishEvents = async (tenant: Tenant, count = 1) => {
    const events = [];
    for (let i = 0; i < count; i++) events.push(await writeEvent(tenant.accountId, 'charge.succeeded'));
    expect(await publisherHandler({ Records: await streamRecordsFor(tenant.accountId, count) })).toEqual({ batchItemFailures: [] });
    return { events, messages: await receiveCount(sqs, queues.url, count) };
  };

  const deliveries = async (tenant: Tenant, endpointId: string): Promise<WebhookDeliveryView[]> =>
    (await callApi(api, { method: 'GET', resource: '/v1/webhook_endpoints/{id}/deliveries', tenant, id: endpointId })).body
      .data as WebhookDeliveryView[];

  const endpointOf = async (tenant: Tenant, endpointId: string): Promise<WebhookEndpointView | undefined> =>
    ((await callApi(api, { method: 'GET', resource: '/v1/webhook_endpoints', tenant })).body.data as WebhookEndpointView[]).find(
      (endpoint) => endpoint.id === endpointId,
    );

  it('pushes the next attempt back to Retry-After on a 429, holding back a message that comes early', async () => {
    const limited = await receiver((n) => (n === 1 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 }));
    const tenant = await createTenant();
    const endpoint = await register(tenant, limited.url);
    const { events, messages } = await publishEvents(tenant);
    const clock = manualClock();
    const start = clock.now();
    // Zero jitter: the schedule alone would retry at once, so any wait is Retry-After's.
    const metrics = recordingMetrics();
    const timed = dispatcherWith({ now: clock.now, random: () => 0, metrics });

    expect(await timed(sqsEvent(messages, queues.arn))).toEqual({ batchItemFailures: [] });
    expect(limited.requests).toHaveLength(1);
    const afterFirst = await store.get(endpoint.id, events[0]?.id as EventId);
    expect(afterFirst).toMatchObject({ status: 'pending', attemptCount: 1, nextAttemptAt: start + 2_000 });

    clock.set(start + 500);
    expect(await timed(sqsEvent(await receiveCount(sqs, queues.url, 1), queues.arn))).toEqual({ batchItemFailures: [] });
    expect(limited.requests).toHaveLength(1);

    clock.set(start + 2_000);
    expect(await timed(sqsEvent(await receiveCount(sqs, queues.url, 1), queues.arn))).toEqual({ batchItemFailures: [] });
    expect(limited.requests).toHaveLength(2);
    expect(await store.get(endpoint.id, events[0]?.id as EventId)).toMatchObject({ status: 'delivered', attemptCount: 2 });
    expect(metrics.recorded).toEqual([
      ['attempts', undefined],
      ['failedAttempts', undefined],
      ['attempts', undefined],
      ['delivered', undefined],
    ]);
  });

  it('carries a wait longer than SQS allows as a chain of hops, attempting only when due', async () => {
    const healthy = await receiver(() => ({ status: 200 }));
    const tenant = await createTenant();
    const endpoint = await register(tenant, healthy.url);
    const { events, messages } = await publishEvents(tenant);
    const clock = manualClock();
    // A delivery due in ten hours, as after a late retry of the default schedule.
    const delivery = await store.get(endpoint.id, events[0]?.id as EventId);
    if (delivery?.status !== 'pending') throw new Error('expected a pending delivery');
    await dynamo().send(
      new UpdateCommand({
        TableName: tableName('webhooks'),
        Key: { pk: delivery.pk, sk: delivery.sk },
        UpdateExpression: 'SET nextAttemptAt = :due',
        ExpressionAttributeValues: { ':due': clock.now() + 10 * 3600 * 1000 },
      }),
    );
    const timed = dispatcherWith({ now: clock.now });
    expect(await timed(sqsEvent(messages, queues.arn))).toEqual({ batchItemFailures: [] });
    expect(healthy.requests).toHaveLength(0);
    // The hop is delayed by SQS's maximum, 900 s: it is not receivable now.
    expect(await receiveMessages(sqs, queues.url, 0)).toEqual([]);
  });

  it('disables the endpoint on 410 Gone: queued deliveries fail without a request, new events skip it, redrive re-enables it', async () => {
    const gone = await receiver(() => ({ status: 410 }));
    const tenant = await createTenant();
    const endpoint = await register(tenant, gone.url);
    const { messages } = await publishEvents(tenant, 2);
    const metrics = recordingMetrics();
    const dispatch = dispatcherWith({ metrics });

    expect(await dispatch(sqsEvent(messages.slice(0, 1), queues.arn))).toEqual({ batchItemFailures: [] });
    expect(gone.requests).toHaveLength(1);
    expect(metrics.recorded).toEqual([
      ['attempts', undefined],
      ['failedAttempts', undefined],
      ['failedDeliveries', { reason: 'endpoint-gone' }],
    ]);
    expect(await endpointOf(tenant, endpoint.id)).toMatchObject({ status: 'disabled', disabled_reason: 'gone' });

    expect(await dispatch(sqsEvent(messages.slice(1), queues.arn))).toEqual({ batchItemFailures: [] });
    expect(gone.requests).toHaveLength(1);
    const failed = await deliveries(tenant, endpoint.id);
    expect(failed.map((delivery) => [delivery.status, delivery.failure_reason, delivery.attempts.length]).sort()).toEqual([
      ['failed', 'endpoint-disabled', 0],
      ['failed', 'endpoint-gone', 1],
    ]);
    const deadLetters = await receiveCount(sqs, queues.deadLetterUrl, 2);
    expect(deadLetters.map((message) => message.MessageAttributes?.reason?.StringValue).sort()).toEqual([
      'endpoint-disabled',
      'endpoint-gone',
    ]);

    await writeEvent(tenant.accountId, 'charge.refunded');
    expect(await publisherHandler({ Records: await streamRecordsFor(tenant.accountId, 3) })).toEqual({ batchItemFailures: [] });
    expect(await deliveries(tenant, endpoint.id)).toHaveLength(2);

    gone.answer = () => ({ status: 200 });
    const redrive = await callApi(api, {
      method: 'POST',
      resource: '/v1/webhook_endpoints/{id}/deliveries/redrive',
      tenant,
      id: endpoint.id,
    });
    expect(redrive.body).toMatchObject({ count: 2 });
    expect(await endpointOf(tenant, endpoint.id)).toMatchObject({ status: 'enabled', disabled_reason: null });
    expect(await dispatch(sqsEvent(await receiveCount(sqs, queues.url, 2), queues.arn))).toEqual({ batchItemFailures: [] });
    expect(gone.requests).toHaveLength(3);
    expect((await deliveries(tenant, endpoint.id)).map((delivery) => delivery.status)).toEqual(['delivered', 'delivered']);
  });

  it('sends a delivery once when several invocations dispatch it at the same time', async () => {
    const slow = await receiver(() => ({ status: 200, delayMs: 200 }));
    const tenant = await createTenant();
    const endpoint = await register(tenant, slow.url);
    const { messages } = await publishEvents(tenant);
    const event = sqsEvent(messages, queues.arn);

    const results = await Promise.all(Array.from({ length: 5 }, () => dispatch(event)));
    expect(slow.requests).toHaveLength(1);
    // The losers saw the lease and asked for the message back; on its return it is stale.
    const retried = results.filter((result) => result.batchItemFailures.length > 0);
    for (const _ of retried) expect(await dispatch(event)).toEqual({ batchItemFailures: [] });
    expect(slow.requests).toHaveLength(1);
    expect(await deliveries(tenant, endpoint.id)).toEqual([
      expect.objectContaining({ status: 'delivered', attempts: [expect.anything()] }),
    ]);
  });

  it('refuses at delivery a destination whose name now resolves to the metadata address (DNS rebinding)', async () => {
    const tenant = await createTenant();
    const registering = createEndpointsHandler({ ...endpointsDeps(), allowLoopback: false, resolve: resolveTo('93.184.216.34') });
    const endpoint = await register(tenant, 'https://hooks.rebinding.test/webhooks', registering);
    const { messages } = await publishEvents(tenant);
    const rebound = createSender({ allowLoopback: false, timeoutMs: 2_000, resolve: resolveTo('169.254.169.254') });
    senders.push(rebound);

    expect(await dispatcherWith({ sender: rebound })(sqsEvent(messages, queues.arn))).toEqual({ batchItemFailures: [] });
    const [delivery] = await deliveries(tenant, endpoint.id);
    expect(delivery).toMatchObject({ status: 'pending', attempts: [{ number: 1, http_status: null }] });
    expect(delivery?.attempts[0]?.error).toMatch(/^destination refused: hooks\.rebinding\.test resolves to 169\.254\.169\.254 .*linkLocal/);
  });

  it('refuses at delivery a name now resolving to loopback when loopback is not allowed, never connecting', async () => {
    const target = await receiver(() => ({ status: 200 }));
    const tenant = await createTenant();
    const registering = createEndpointsHandler({ ...endpointsDeps(), allowLoopback: false, resolve: resolveTo('93.184.216.34') });
    const endpoint = await register(tenant, `https://hooks.rebinding.test:${target.port}/webhooks`, registering);
    const { messages } = await publishEvents(tenant);
    const rebound = createSender({ allowLoopback: false, timeoutMs: 2_000, resolve: resolveTo('127.0.0.1') });
    senders.push(rebound);

    await dispatcherWith({ sender: rebound })(sqsEvent(messages, queues.arn));
    expect(target.connections).toBe(0);
    const [delivery] = await deliveries(tenant, endpoint.id);
    expect(delivery?.attempts[0]?.error).toMatch(/^destination refused: .*127\.0\.0\.1 is a loopback address/);
  });

  it('refuses a loopback endpoint once loopback is no longer allowed', async () => {
    const target = await receiver(() => ({ status: 200 }));
    const tenant = await createTenant();
    const endpoint = await register(tenant, target.url);
    const { messages } = await publishEvents(tenant);
    const strict = createSender({ allowLoopback: false, timeoutMs: 2_000 });
    senders.push(strict);

    await dispatcherWith({ sender: strict })(sqsEvent(messages, queues.arn));
    expect(target.connections).toBe(0);
    expect((await deliveries(tenant, endpoint.id))[0]?.attempts[0]?.error).toMatch(/^destination refused/);
  });

  it('signs with both secrets for a day after a rotation', async () => {
    const target = await receiver(() => ({ status: 200 }));
    const tenant = await createTenant();
    const endpoint = await register(tenant, target.url);
    const rotated = await callApi(api, {
      method: 'POST',
      resource: '/v1/webhook_endpoints/{id}/rotate_secret',
      tenant,
      id: endpoint.id,
      body: {},
    });
    const { messages } = await publishEvents(tenant);

    await dispatch(sqsEvent(messages, queues.arn));
    const [request] = target.requests;
    const headers = request?.headers as Record<string, string>;
    expect(headers['webhook-signature']?.split(' ')).toHaveLength(2);
    expect(verifyWebhook(endpoint.secret, headers, request?.body ?? '').valid).toBe(true);
    expect(verifyWebhook(rotated.body.secret as string, headers, request?.body ?? '').valid).toBe(true);

    const dayLater = dispatcherWith({ now: () => Date.now() + 24 * 3600 * 1000 + 1_000 });
    await writeEvent(tenant.accountId, 'charge.succeeded');
    await publisherHandler({ Records: await streamRecordsFor(tenant.accountId, 2) });
    await dayLater(sqsEvent(await receiveCount(sqs, queues.url, 1), queues.arn));
    const later = target.requests[1]?.headers as Record<string, string>;
    expect(later['webhook-signature']?.split(' ')).toHaveLength(1);
    const dayLaterClock = { now: () => Number(later['webhook-timestamp']) * 1000 };
    expect(verifyWebhook(rotated.body.secret as string, later, target.requests[1]?.body ?? '', dayLaterClock).valid).toBe(true);
    expect(verifyWebhook(endpoint.secret, later, target.requests[1]?.body ?? '', dayLaterClock).valid).toBe(false);
  });

  it('drops the deliveries of a deleted endpoint, failing them so that no sweeper finds them overdue', async () => {
    const target = await receiver(() => ({ status: 200 }));
    const tenant = await createTenant();
    const endpoint = await register(tenant, target.url);
    const { events, messages } = await publishEvents(tenant);
    await callApi(api, { method: 'DELETE', resource: '/v1/webhook_endpoints/{id}', tenant, id: endpoint.id });

    expect(await dispatch(sqsEvent(messages, queues.arn))).toEqual({ batchItemFailures: [] });
    expect(target.requests).toHaveLength(0);
    const delivery = await store.get(endpoint.id, events[0]?.id as EventId);
    expect(delivery).toMatchObject({ status: 'failed', failureReason: 'endpoint-deleted', attemptCount: 0 });
    expect(delivery).not.toHaveProperty('nextAttemptAt');
  });

  it('parks an unreadable message in the dead-letter queue', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: queues.url, MessageBody: '{"not":"a delivery"}' }));
    expect(await dispatch(sqsEvent(await receiveCount(sqs, queues.url, 1), queues.arn))).toEqual({ batchItemFailures: [] });
    const [parked] = await receiveCount(sqs, queues.deadLetterUrl, 1);
    expect(parked?.Body).toBe('{"not":"a delivery"}');
    expect(parked?.MessageAttributes?.reason?.StringValue).toBe('malformed-message');
  });

  it('never sends a delivered delivery again, whatever message arrives', async () => {
    const target = await receiver(() => ({ status: 200 }));
    const tenant = await createTenant();
    const endpoint = await register(tenant, target.url);
    const { events, messages } = await publishEvents(tenant);
    await dispatch(sqsEvent(messages, queues.arn));
    expect(target.requests).toHaveLength(1);

    for (const attempt of [1, 2, 5]) {
      const body: DeliveryMessage = { accountId: tenant.accountId, endpointId: endpoint.id, eventId: events[0]?.id as EventId, attempt };
      await dispatch(sqsEvent([{ MessageId: `forged-${attempt}`, Body: JSON.stringify(body) }], queues.arn));
    }
    expect(target.requests).toHaveLength(1);
  });
});
