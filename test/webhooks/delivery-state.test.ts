import { describe, expect, it } from 'vitest';
import type { AccountId, EventId, WebhookEndpointId } from '../../lambdas/shared/ids.js';
import type { DeliveryId } from '../../lambdas/webhooks/delivery-id.js';
import type { DeliveryItem, FailedDelivery, PendingDelivery } from '../../lambdas/webhooks/delivery-record.js';
import { awaitsFirstMessage, classifyMessage, hasLostItsMessage, overdueAfterMs } from '../../lambdas/webhooks/delivery-state.js';
import { queues } from '../../lambdas/topology.js';

const now = 1_700_000_000_000;

const base = {
  pk: 'WE#we_1',
  sk: 'DLV#evt_1',
  id: 'dlv_1' as DeliveryId,
  accountId: 'acct_1' as AccountId,
  endpointId: 'we_1' as WebhookEndpointId,
  eventId: 'evt_1' as EventId,
  eventType: 'charge.succeeded',
  payload: '{}',
  createdAt: now - 60_000,
  roundStart: 0,
  attempts: [],
  expiresAt: 0,
  sweepShard: 0,
};

const pending = (overrides: Partial<PendingDelivery> = {}): PendingDelivery => ({
  ...base,
  status: 'pending',
  attemptCount: 2,
  nextAttemptAt: now,
  ...overrides,
});
const failed: FailedDelivery = { ...base, status: 'failed', attemptCount: 4, failedAt: now, failureReason: 'attempts-exhausted' };
const delivered: DeliveryItem = { ...base, status: 'delivered', attemptCount: 3, deliveredAt: now };

describe('classifyMessage', () => {
  it('attempts the next attempt of a due, unleased delivery', () => {
    const delivery = pending();
    expect(classifyMessage(delivery, 3, now)).toEqual({ kind: 'attempt', delivery });
  });

  it('never sends a delivered delivery again, whatever the message', () => {
    for (const attempt of [1, 3, 4, 5])
      expect(classifyMessage(delivered, attempt, now)).toEqual({ kind: 'drop', reason: 'already-delivered' });
  });

  it('drops messages for attempts already made (duplicates, old DLQ copies)', () => {
    for (const attempt of [1, 2]) expect(classifyMessage(pending(), attempt, now)).toEqual({ kind: 'drop', reason: 'stale-message' });
    expect(classifyMessage(failed, 4, now)).toEqual({ kind: 'drop', reason: 'stale-message' });
  });

  it('drops messages for unknown deliveries', () => {
    expect(classifyMessage(undefined, 1, now)).toEqual({ kind: 'drop', reason: 'unknown-delivery' });
  });

  it('is busy while another invocation holds the lease, for this attempt or the one it is scheduling', () => {
    const leased = pending({ leaseToken: 't', leaseUntil: now + 1 });
    expect(classifyMessage(leased, 3, now)).toEqual({ kind: 'busy' });
    expect(classifyMessage(leased, 4, now)).toEqual({ kind: 'busy' });
    expect(classifyMessage(pending({ leaseToken: 't', leaseUntil: now }), 3, now).kind).toBe('attempt');
    expect(classifyMessage(pending({ leaseToken: 't', leaseUntil: now }), 4, now)).toEqual({ kind: 'drop', reason: 'stale-message' });
  });

  it('holds back a message that arrives before its delivery is due (a hop of a long wait)', () => {
    expect(classifyMessage(pending({ nextAttemptAt: now + 3_600_000 }), 3, now)).toEqual({ kind: 'not-yet-due', dueAt: now + 3_600_000 });
    expect(classifyMessage(pending({ nextAttemptAt: now + 999 }), 3, now).kind).toBe('attempt');
  });

  it('lets a failed delivery be revived by the message for its next attempt (redrive, or its DLQ copy moved back)', () => {
    expect(classifyMessage(failed, 5, now)).toEqual({ kind: 'attempt', delivery: failed });
  });
});

describe('awaitsFirstMessage', () => {
  it('holds for a pending delivery never attempted and not in flight', () => {
    expect(awaitsFirstMessage(pending({ attemptCount: 0 }), now)).toBe(true);
    expect(awaitsFirstMessage(pending({ attemptCount: 0, leaseToken: 't', leaseUntil: now + 1 }), now)).toBe(false);
    expect(awaitsFirstMessage(pending({ attemptCount: 1 }), now)).toBe(false);
    expect(awaitsFirstMessage(delivered, now)).toBe(false);
  });
});

describe('hasLostItsMessage', () => {
  const overdue = now - overdueAfterMs;

  it('holds for a pending delivery overdue by the threshold with nobody attempting it', () => {
    expect(hasLostItsMessage(pending({ nextAttemptAt: overdue }), now)).toBe(true);
    expect(hasLostItsMessage(pending({ nextAttemptAt: overdue, leaseToken: 't', leaseUntil: now }), now)).toBe(true);
  });

  it('leaves alone a delivery whose message may still come, or whose attempt may be in progress', () => {
    expect(hasLostItsMessage(pending({ nextAttemptAt: overdue + 1 }), now)).toBe(false);
    expect(hasLostItsMessage(pending({ nextAttemptAt: overdue, leaseToken: 't', leaseUntil: now + 1 }), now)).toBe(false);
  });

  it('never holds for a settled or unknown delivery', () => {
    expect(hasLostItsMessage(delivered, now)).toBe(false);
    expect(hasLostItsMessage(failed, now)).toBe(false);
    expect(hasLostItsMessage(undefined, now)).toBe(false);
  });

  it('waits out the queue’s visibility timeout, after which a message whose consumer died is back', () => {
    expect(overdueAfterMs).toBeGreaterThan(queues.webhookDeliveries.visibilityTimeoutSeconds * 1000);
  });
});
