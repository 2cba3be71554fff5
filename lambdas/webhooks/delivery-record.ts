import type { AccountId, EventId, WebhookEndpointId } from '../shared/ids.js';
import type { DeliveryId } from './delivery-id.js';
import type { Originated } from '../regions/origin.js';

/**
 * Deliveries live in the webhooks table under their endpoint:
 *   pk WE#<endpointId>  sk DLV#<eventId>
 * The (endpoint, event) pair is the identity of a delivery, so it is the key: publishing the
 * same event twice hits the same item, and a conditional put makes the second a no-op. Event
 * ids are ULIDs, so an endpoint's deliveries list newest-first with ScanIndexForward=false.
 *
 * A pending delivery is also in the pending deliveries index (lambdas/topology.ts) by its
 * `nextAttemptAt`, which only pending deliveries have: the webhook sweeper finds there the
 * deliveries whose message was lost.
 */
export const deliveryPartition = (endpointId: WebhookEndpointId): string => `WE#${endpointId}`;
export const deliverySortKey = (eventId: EventId): string => `DLV#${eventId}`;
export const deliverySortKeyPrefix = 'DLV#';

export const deliveryStatuses = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

/**
 * 'attempts-exhausted': the last attempt of the round failed.
 * 'endpoint-gone': this delivery got a 410, which disabled the endpoint.
 * 'endpoint-disabled': the endpoint was already disabled when the delivery came due.
 * 'endpoint-deleted': the endpoint was deleted before the delivery came due.
 */
export const failureReasons = ['attempts-exhausted', 'endpoint-gone', 'endpoint-disabled', 'endpoint-deleted'] as const;
export type FailureReason = (typeof failureReasons)[number];

export type AttemptRecord = {
  /** 1-based across the delivery's whole life, redrives included. */
  readonly number: number;
  /** Epoch milliseconds. */
  readonly at: number;
  readonly durationMs: number;
} & ({ readonly kind: 'response'; readonly status: number } | { readonly kind: 'error'; readonly error: string });

interface DeliveryBase extends Originated {
  readonly pk: string;
  readonly sk: string;
  readonly id: DeliveryId;
  readonly accountId: AccountId;
  readonly endpointId: WebhookEndpointId;
  readonly eventId: EventId;
  readonly eventType: string;
  /** The exact body of every attempt, fixed at publish time so every retry signs the same bytes. */
  readonly payload: string;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  /** Attempts made so far, all rounds together. */
  readonly attemptCount: number;
  /** attemptCount when the current round began: a redrive starts a fresh schedule. */
  readonly roundStart: number;
  /** The most recent attempts, oldest first (capped; see maxStoredAttempts). */
  readonly attempts: readonly AttemptRecord[];
  /** Epoch seconds, refreshed on every write: the record outlives its last activity by 30 days. */
  readonly expiresAt: number;
  /** The delivery's shard of the pending deliveries index. */
  readonly sweepShard: number;
}

export type PendingDelivery = DeliveryBase & {
  readonly status: 'pending';
  /** Epoch milliseconds: no attempt before this. */
  readonly nextAttemptAt: number;
  /** Set while an attempt is in flight: the holder of this token is the only one sending. */
  readonly leaseToken?: string;
  readonly leaseUntil?: number;
};

export type DeliveredDelivery = DeliveryBase & { readonly status: 'delivered'; readonly deliveredAt: number };

export type FailedDelivery = DeliveryBase & {
  readonly status: 'failed';
  readonly failedAt: number;
  readonly failureReason: FailureReason;
};

export type DeliveryItem = PendingDelivery | DeliveredDelivery | FailedDelivery;

/** A pending delivery whose in-flight lease this invocation holds. */
export type ClaimedDelivery = PendingDelivery & { readonly leaseToken: string; readonly leaseUntil: number };

export const deliveryRetentionSeconds = 30 * 24 * 3600;

/** An item holds at most this many attempts (a redrive loop must not grow it towards 400 KB). */
export const maxStoredAttempts = 50;

export const expiresAtFor = (nowMs: number): number => Math.floor(nowMs / 1000) + deliveryRetentionSeconds;

export const hasActiveLease = (delivery: PendingDelivery, nowMs: number): boolean =>
  delivery.leaseUntil !== undefined && delivery.leaseUntil > nowMs;
