import { queues } from '../topology.js';
import { type DeliveryItem, type FailedDelivery, hasActiveLease, type PendingDelivery } from './delivery-record.js';
import { dueToleranceMs } from './retry-policy.js';

/**
 * What the dispatcher does with a message, decided from the delivery record alone. Every
 * message names the attempt it is for (`attempt`, 1-based); the record says how many attempts
 * were made. That one number is what makes every copy of a message safe:
 *
 * - A message is acted on only when `attempt === attemptCount + 1`. A duplicate (SQS delivers
 *   at least once; a publisher retry re-sends; a hop was sent twice) of an attempt that has
 *   since been made is stale and dropped.
 * - A delivered record is never sent again, whatever arrives.
 * - An attempt starts only with a conditional write that takes the record's lease, so two
 *   copies of the same message racing each other produce one request; the loser sees the lease
 *   (busy) and comes back after the visibility timeout, by which time it is stale.
 * - A failed record accepts exactly the message for its next attempt: that is a redrive (the
 *   API sends one), or the DLQ copy moved back by an operator with SQS's own redrive. Both
 *   carry the same attempt number, so if both arrive, the first revives the delivery and the
 *   second is a duplicate like any other. A DLQ copy can therefore never cause a second send.
 * - The message for the next attempt is sent before the attempt is recorded (so a crash in
 *   between loses nothing), so it can arrive while the record still shows the attempt in
 *   flight: one ahead, under a live lease, it is busy and comes back; one ahead with the lease
 *   gone, the recording never happened, the attempt will be redone, and the message is stale.
 */
export type MessageAction =
  | { readonly kind: 'drop'; readonly reason: 'unknown-delivery' | 'already-delivered' | 'stale-message' }
  | { readonly kind: 'busy' }
  | { readonly kind: 'not-yet-due'; readonly dueAt: number }
  | { readonly kind: 'attempt'; readonly delivery: PendingDelivery | FailedDelivery };

export const classifyMessage = (delivery: DeliveryItem | undefined, attempt: number, nowMs: number): MessageAction => {
  if (delivery === undefined) return { kind: 'drop', reason: 'unknown-delivery' };
  if (delivery.status === 'delivered') return { kind: 'drop', reason: 'already-delivered' };
  const leased = delivery.status === 'pending' && hasActiveLease(delivery, nowMs);
  if (attempt === delivery.attemptCount + 2 && leased) return { kind: 'busy' };
  if (attempt !== delivery.attemptCount + 1) return { kind: 'drop', reason: 'stale-message' };
  if (delivery.status === 'failed') return { kind: 'attempt', delivery };
  if (leased) return { kind: 'busy' };
  if (delivery.nextAttemptAt - nowMs > dueToleranceMs) return { kind: 'not-yet-due', dueAt: delivery.nextAttemptAt };
  return { kind: 'attempt', delivery };
};

/** Publisher retries re-send only a delivery whose message may never have been sent. */
export const awaitsFirstMessage = (delivery: DeliveryItem, nowMs: number): boolean =>
  delivery.status === 'pending' && delivery.attemptCount === 0 && !hasActiveLease(delivery, nowMs);

/**
 * How far past due a pending delivery must be before its message counts as lost. Every
 * pending delivery has a message on its way, due when the delivery is (SQS delays carry the
 * wait), and a message whose consumer died comes back by itself after the queue's visibility
 * timeout; two more minutes give the dispatcher time to get to it through a backlog.
 */
export const overdueAfterMs = queues.webhookDeliveries.visibilityTimeoutSeconds * 1000 + 2 * 60_000;

/**
 * Pending, that far past due, and nobody attempting it (no live lease): its message is gone
 * (the local stack killed with the emulator's queue, a purge, a crash loop that ended in the
 * dead-letter queue), and the sweeper sends the message for its next attempt again. Should the
 * message still be around after all, the two are the duplicates the rules above make harmless.
 */
export const hasLostItsMessage = (delivery: DeliveryItem | undefined, nowMs: number): delivery is PendingDelivery =>
  delivery?.status === 'pending' && delivery.nextAttemptAt <= nowMs - overdueAfterMs && !hasActiveLease(delivery, nowMs);
