import { accountPartition } from '../shared/account-partition.js';
import type { AccountId, EventId } from '../shared/ids.js';
import { sweepShardOf, type TableKey } from '../shared/sweep-index.js';
import { unpublishedEventsIndex } from '../topology.js';

/**
 * The transactional outbox. An event is written in the same TransactWriteItems as the change
 * it describes, so there is never a charge without its event or an event without its charge;
 * the events table's stream then feeds the webhook publisher. Stream records of different
 * transactions may interleave, so consumers must not depend on their order. The payments store
 * builds the write (PaymentsStore.eventPut), on the condition that the event id is new.
 *
 * An event is written unpublished (`unpublishedSince`), and the publisher removes that marker
 * once every delivery of the event is recorded and enqueued. The stream only holds a record for
 * 24 hours, and its mapping gives up on a record sooner (lambdas/topology.ts); an event still
 * unpublished some minutes after it was written is re-published by the webhook sweeper, which
 * finds it through the unpublished index instead of scanning the table.
 */
export const eventTypes = ['charge.succeeded', 'charge.failed', 'charge.refunded'] as const;
export type EventType = (typeof eventTypes)[number];

/** The event as merchants see it: in GET /v1/events and as the body of every webhook. */
export interface RetrysafeEvent<TObject = Record<string, unknown>> {
  id: EventId;
  object: 'event';
  type: EventType;
  /** Epoch seconds. */
  created: number;
  data: { object: TObject };
}

/** The events table item: the tenant partition lists newest-first because event ids are ULIDs. */
export interface EventItem {
  pk: string;
  sk: string;
  accountId: AccountId;
  event: RetrysafeEvent;
  /** Epoch seconds; events are kept for 30 days, then DynamoDB's TTL deletes them. */
  expiresAt: number;
  /** The event's shard of the unpublished index. */
  sweepShard: number;
  /** Epoch seconds the event was written; present until the event is published (see above). */
  unpublishedSince?: number;
}

export const eventRetentionSeconds = 30 * 24 * 3600;

export const eventSortKey = (eventId: EventId): string => `EVT#${eventId}`;

export const eventKey = (accountId: AccountId, eventId: EventId): TableKey => ({
  pk: accountPartition(accountId),
  sk: eventSortKey(eventId),
});

export const eventItem = (accountId: AccountId, event: RetrysafeEvent): EventItem => ({
  ...eventKey(accountId, event.id),
  accountId,
  event,
  expiresAt: event.created + eventRetentionSeconds,
  [unpublishedEventsIndex.partitionKey.name]: sweepShardOf(event.id),
  [unpublishedEventsIndex.sortKey.name]: event.created,
});
