import type { Sweep } from '../shared/recovery-run.js';
import { acrossShards, type TableKey } from '../shared/sweep-index.js';
import type { DeliveryQueue } from './delivery-queue.js';
import { hasLostItsMessage, overdueAfterMs } from './delivery-state.js';
import type { DeliveryStore } from './delivery-store.js';
import { writtenHere } from '../regions/origin.js';

export interface DeliverySweepDeps {
  readonly deliveries: DeliveryStore;
  readonly queue: DeliveryQueue;
}

/**
 * Pending deliveries whose message was lost (see delivery-state.ts): each gets the message for
 * its next attempt again. The record is made due now first, in a write conditional on the state
 * just read, so overlapping sweeps send one message, and the delivery is only found overdue
 * again if that message is lost too; a crash before the send leaves it to a later sweep.
 */
export const lostDeliveryMessages = (deps: DeliverySweepDeps): Sweep<TableKey> => ({
  name: 'lostDeliveryMessages',
  candidates: (nowMs) => acrossShards((shard) => deps.deliveries.due(shard, nowMs - overdueAfterMs)),
  recover: async (key, nowMs) => {
    const delivery = await deps.deliveries.read(key);
    // Another region's delivery, replicated here: its own region's queue holds its messages.
    if (!hasLostItsMessage(delivery, nowMs) || !writtenHere(delivery) || !(await deps.deliveries.requeue(delivery, nowMs))) return false;
    await deps.queue.enqueue({
      accountId: delivery.accountId,
      endpointId: delivery.endpointId,
      eventId: delivery.eventId,
      attempt: delivery.attemptCount + 1,
    });
    return true;
  },
});
