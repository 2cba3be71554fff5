import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { z } from 'zod';
import { eventKey } from '../events/outbox.js';
import type { OutboxStore } from '../events/outbox-store.js';
import { createLogger } from '../shared/logger.js';
import type { AccountId, EventId } from '../shared/ids.js';
import { sweepShardOf } from '../shared/sweep-index.js';
import { deliveryIdFor } from './delivery-id.js';
import { deliveryPartition, deliverySortKey, expiresAtFor, type PendingDelivery } from './delivery-record.js';
import type { DeliveryQueue } from './delivery-queue.js';
import { awaitsFirstMessage } from './delivery-state.js';
import type { DeliveryStore } from './delivery-store.js';
import { type EndpointItem, subscribesTo } from './endpoint-record.js';
import type { EndpointStore } from './endpoint-store.js';
import { originHere, type Originated, writtenHere } from '../regions/origin.js';

export interface PublisherDeps {
  readonly deliveries: DeliveryStore;
  readonly endpoints: EndpointStore;
  readonly queue: DeliveryQueue;
  readonly outbox: OutboxStore;
  /** Epoch milliseconds. */
  readonly now: () => number;
}

const logger = createLogger('webhook-publisher');

/** The parts of an outbox item (lambdas/events/outbox.ts) the publisher relies on. */
const outboxItemSchema = z.object({
  sk: z.string().startsWith('EVT#'),
  accountId: z.string().min(1),
  event: z.object({ id: z.string().min(1), object: z.literal('event'), type: z.string().min(1), created: z.number().int() }).loose(),
});

export interface OutboxEvent {
  readonly accountId: AccountId;
  readonly id: EventId;
  readonly type: string;
  /** Epoch seconds. */
  readonly created: number;
  /** The webhook body: the event exactly as GET /v1/events shows it. */
  readonly payload: string;
}

/** The item as plain JSON; undefined when it cannot be (a number beyond 2^53, say). */
const imageOf = (image: Record<string, AttributeValue>): unknown => {
  try {
    return unmarshall(image);
  } catch {
    return undefined;
  }
};

/**
 * The event an outbox item holds; undefined, logged with `where`, for an item that is not one:
 * retrying cannot fix its shape, and a stuck item would hold up every event behind it.
 */
export const outboxEventOf = (item: unknown, where: Record<string, unknown>): OutboxEvent | undefined => {
  const parsed = outboxItemSchema.safeParse(item);
  if (!parsed.success) {
    logger.error('Skipping an outbox item that is not an event', { ...where, issue: parsed.error.issues[0]?.message });
    return undefined;
  }
  const { accountId, event } = parsed.data;
  return {
    accountId: accountId as AccountId,
    id: event.id as EventId,
    type: event.type,
    created: event.created,
    payload: JSON.stringify(event),
  };
};

/** The event an INSERT record carries; undefined for anything else (modifications and removals, should they arrive). */
const insertedEventOf = (record: DynamoDBRecord): OutboxEvent | undefined => {
  if (record.eventName !== 'INSERT' || record.dynamodb?.NewImage === undefined) return undefined;
  const item = imageOf(record.dynamodb.NewImage as Record<string, AttributeValue>);
  // Another region's event, replicated into this replica's stream: its own region publishes it.
  if (!writtenHere(item as Originated)) return undefined;
  return outboxEventOf(item, { eventID: record.eventID });
};

/**
 * Endpoints created after the event was do not receive it (a replayed stream must not send a
 * new endpoint last week's charges); disabled endpoints receive nothing.
 */
const receives = (endpoint: EndpointItem, event: OutboxEvent): boolean =>
  endpoint.status === 'enabled' && subscribesTo(endpoint, event.type) && endpoint.created <= event.created;

const pendingDelivery = (event: OutboxEvent, endpoint: EndpointItem, nowMs: number): PendingDelivery => {
  const id = deliveryIdFor(event.id, endpoint.id);
  return {
    pk: deliveryPartition(endpoint.id),
    sk: deliverySortKey(event.id),
    id,
    accountId: event.accountId,
    endpointId: endpoint.id,
    eventId: event.id,
    eventType: event.type,
    payload: event.payload,
    status: 'pending',
    createdAt: nowMs,
    nextAttemptAt: nowMs,
    attemptCount: 0,
    roundStart: 0,
    attempts: [],
    expiresAt: expiresAtFor(nowMs),
    sweepShard: sweepShardOf(id),
    ...originHere(),
  };
};

/**
 * Record first, message second. A crash or an SQS outage between the two leaves a pending
 * record that was never attempted, and an event still unpublished; the stream retries the
 * record (it is reported as failed), or later the sweeper re-publishes the event, the
 * conditional put finds the record, and because it was never attempted the message is sent
 * (again). Sending twice is harmless: the dispatcher's conditional claim lets one message
 * through and drops the other as stale.
 */
const publishTo = async (deps: PublisherDeps, event: OutboxEvent, endpoint: EndpointItem): Promise<void> => {
  const nowMs = deps.now();
  const result = await deps.deliveries.create(pendingDelivery(event, endpoint, nowMs));
  if (!result.created && !awaitsFirstMessage(result.existing, nowMs)) return;
  await deps.queue.enqueue({ accountId: event.accountId, endpointId: endpoint.id, eventId: event.id, attempt: 1 });
};

export type PublishEvent = (event: OutboxEvent) => Promise<void>;

/**
 * Publishes events one by one: every delivery of the event recorded and enqueued, then the event
 * marked published. Each account's endpoints are listed once per publisher, so make one per
 * stream batch or sweep. Publishing is idempotent: publishing an event again, whether it was
 * published or not, creates no second delivery, and sends no message for a delivery that was
 * attempted.
 */
export const eventPublisher = (deps: PublisherDeps): PublishEvent => {
  const endpointsByAccount = new Map<AccountId, Promise<EndpointItem[]>>();
  return async (event) => {
    let endpoints = endpointsByAccount.get(event.accountId);
    if (endpoints === undefined) {
      endpoints = deps.endpoints.list(event.accountId);
      endpointsByAccount.set(event.accountId, endpoints);
    }
    const targets = (await endpoints).filter((endpoint) => receives(endpoint, event));
    await Promise.all(targets.map((endpoint) => publishTo(deps, event, endpoint)));
    await deps.outbox.markPublished(eventKey(event.accountId, event.id));
  };
};

/**
 * Turns outbox INSERTs into one delivery per subscribed endpoint. On the first record that
 * cannot be published (DynamoDB or SQS unavailable) it stops and reports that record: Lambda
 * retries a stream batch from the first reported failure, so the records after it would be
 * redone anyway, and stopping keeps each shard's events in order. Publishing is idempotent, so
 * redoing the part of a record that had succeeded changes nothing.
 */
export const publishBatch = async (deps: PublisherDeps, streamEvent: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const publish = eventPublisher(deps);
  for (const record of streamEvent.Records) {
    const event = insertedEventOf(record);
    if (event === undefined) continue;
    try {
      await publish(event);
    } catch (error) {
      logger.warn('Publishing an outbox event failed; the stream will retry it', { error, eventId: event.id });
      return { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }] };
    }
  }
  return { batchItemFailures: [] };
};
