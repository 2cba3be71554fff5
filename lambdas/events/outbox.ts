import { createHash } from 'node:crypto';
import { accountPartition } from '../shared/account-partition.js';
import type { AccountId, EventId } from '../shared/ids.js';
import { sweepShardOf, type TableKey } from '../shared/sweep-index.js';
import { unpublishedEventsIndex } from '../topology.js';
import { originHere, type Originated } from '../regions/origin.js';

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

/**
 * The request an event came from, so a chain of services (Retrysafe → a consumer → whatever it
 * calls) can be followed through its logs: the API request id, as Retrysafe's own logs carry it,
 * and a digest of the Idempotency-Key (a client's key can name its orders or customers, and a
 * webhook travels further than the client's own systems). Null when no request made the event:
 * the reconciler found its charge or refund at the processor.
 */
export interface EventTrail {
  id: string | null;
  idempotency_key_sha256: string | null;
}

export const requestTrail = (requestId: string | null, idempotencyKey: string): EventTrail => ({
  id: requestId,
  idempotency_key_sha256: createHash('sha256').update(idempotencyKey, 'utf8').digest('hex'),
});

export const noRequestTrail: EventTrail = { id: null, idempotency_key_sha256: null };

/** The event as merchants see it: in GET /v1/events and as the body of every webhook. */
export interface RetrysafeEvent<TObject = Record<string, unknown>> {
  id: EventId;
  object: 'event';
  type: EventType;
  /** Epoch seconds. */
  created: number;
  data: { object: TObject };
  request: EventTrail;
}

/** The events table item: the tenant partition lists newest-first because event ids are ULIDs. */
export interface EventItem extends Originated {
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
  ...originHere(),
  [unpublishedEventsIndex.partitionKey.name]: sweepShardOf(event.id),
  [unpublishedEventsIndex.sortKey.name]: event.created,
});
