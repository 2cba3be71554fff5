import { randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createLogger } from '../shared/logger.js';
import { type MetricRecorder, MetricUnit } from '../shared/metric-recorder.js';
import { functions, queues } from '../topology.js';
import type { AttemptRecord, ClaimedDelivery } from './delivery-record.js';
import { type DeliveryMessage, type DeliveryQueue, parseDeliveryMessage } from './delivery-queue.js';
import { classifyMessage } from './delivery-state.js';
import type { DeliveryStore, Settlement } from './delivery-store.js';
import { type EndpointItem, validSecrets } from './endpoint-record.js';
import type { EndpointStore } from './endpoint-store.js';
import type { SentAttempt, WebhookSender } from './http-sender.js';
import { type AttemptVerdict, decideAfterAttempt, type RetrySchedule, sqsDelaySeconds } from './retry-policy.js';
import { signedHeaders } from './signing.js';

export interface DispatcherDeps {
  readonly deliveries: DeliveryStore;
  readonly endpoints: EndpointStore;
  readonly queue: DeliveryQueue;
  readonly sender: WebhookSender;
  readonly schedule: RetrySchedule;
  /** Epoch milliseconds. */
  readonly now: () => number;
  /** Uniform in [0, 1): the jitter source. */
  readonly random: () => number;
  /** Where attempts and their outcomes are counted. */
  readonly metrics: MetricRecorder<'webhookDispatcher'>;
}

/** Counts an attempt by what it came to: delivered, or failed, and a delivery failed for good by why. */
const countAttempt = (metrics: DispatcherDeps['metrics'], verdict: AttemptVerdict): void => {
  metrics.record('attempts', MetricUnit.Count, 1);
  if (verdict.kind === 'delivered') {
    metrics.record('delivered', MetricUnit.Count, 1);
    return;
  }
  metrics.record('failedAttempts', MetricUnit.Count, 1);
  if (verdict.kind === 'exhausted') metrics.record('failedDeliveries', MetricUnit.Count, 1, { reason: 'attempts-exhausted' });
  if (verdict.kind === 'endpoint-gone') metrics.record('failedDeliveries', MetricUnit.Count, 1, { reason: 'endpoint-gone' });
};

/**
 * How long a claimed attempt keeps others off the delivery: longer than the invocation can
 * live, so a slow attempt is never duplicated, and shorter than the queue's visibility timeout,
 * so when an invocation dies mid-attempt its message comes back to a lease that has lapsed.
 */
export const leaseMs = functions.webhookDispatcher.timeoutSeconds * 1000 + 30_000;
if (leaseMs >= queues.webhookDeliveries.visibilityTimeoutSeconds * 1000) {
  throw new Error('The webhook lease must end before a message becomes visible again');
}

/**
 * A follow-up message is sent before the attempt is recorded; at least a second's delay lets
 * the recording land first, and one that still arrives early is handled as busy.
 */
const minFollowUpDelaySeconds = 1;

/** Re-read and re-decide this many times when a conditional write finds the record changed. */
const maxDecisionRounds = 3;

const logger = createLogger('webhook-dispatcher');

type Disposition = 'done' | 'retry-later';

const attemptRecord = (number: number, at: number, sent: SentAttempt): AttemptRecord =>
  sent.kind === 'response'
    ? { number, at, durationMs: sent.durationMs, kind: 'response', status: sent.status }
    : { number, at, durationMs: sent.durationMs, kind: 'error', error: sent.error };

/** Sends one attempt and records it; the follow-up (next message, or DLQ copy) goes out first. */
const attempt = async (
  deps: DispatcherDeps,
  message: DeliveryMessage,
  claimed: ClaimedDelivery,
  endpoint: EndpointItem,
): Promise<Disposition> => {
  const attemptedAt = deps.now();
  const headers = signedHeaders(validSecrets(endpoint, attemptedAt), claimed.id, Math.floor(attemptedAt / 1000), claimed.payload);
  const sent = await deps.sender.send({ url: endpoint.url, headers, body: claimed.payload });
  const record = attemptRecord(claimed.attemptCount + 1, attemptedAt, sent);
  const verdict = decideAfterAttempt(sent, record.number - claimed.roundStart, deps.schedule, deps.random);
  countAttempt(deps.metrics, verdict);
  const settledAt = deps.now();
  const next: DeliveryMessage = { ...message, attempt: record.number + 1 };

  let settlement: Settlement;
  switch (verdict.kind) {
    case 'delivered':
      settlement = { status: 'delivered' };
      break;
    case 'retry': {
      const dueAt = settledAt + verdict.delayMs;
      await deps.queue.enqueue(next, Math.max(minFollowUpDelaySeconds, sqsDelaySeconds(dueAt, settledAt)));
      settlement = { status: 'pending', nextAttemptAt: dueAt };
      break;
    }
    case 'exhausted':
      await deps.queue.deadLetter(JSON.stringify(next), 'attempts-exhausted');
      settlement = { status: 'failed', reason: 'attempts-exhausted' };
      break;
    case 'endpoint-gone':
      await deps.endpoints.disableAsGone(endpoint.accountId, endpoint.id, settledAt);
      await deps.queue.deadLetter(JSON.stringify(next), 'endpoint-gone');
      settlement = { status: 'failed', reason: 'endpoint-gone' };
      break;
  }
  if (!(await deps.deliveries.settle(claimed, record, settlement, settledAt))) {
    // Only possible when this invocation outlived its lease; whoever took it over owns the delivery.
    logger.warn('Webhook attempt finished after its lease was taken over', { deliveryId: claimed.id, attempt: record.number });
  }
  return 'done';
};

const dispatchMessage = async (deps: DispatcherDeps, body: string): Promise<Disposition> => {
  const message = parseDeliveryMessage(body);
  if (message === undefined) {
    logger.error('Unreadable webhook delivery message; parked in the dead-letter queue', { body });
    await deps.queue.deadLetter(body, 'malformed-message');
    return 'done';
  }
  for (let round = 0; round < maxDecisionRounds; round++) {
    const now = deps.now();
    const action = classifyMessage(await deps.deliveries.get(message.endpointId, message.eventId), message.attempt, now);
    switch (action.kind) {
      case 'drop':
        logger.debug('Dropping webhook message', { ...message, reason: action.reason });
        return 'done';
      case 'busy':
        return 'retry-later';
      case 'not-yet-due':
        await deps.queue.enqueue(message, sqsDelaySeconds(action.dueAt, now));
        return 'done';
      case 'attempt': {
        const endpoint = await deps.endpoints.get(message.accountId, message.endpointId);
        // A deleted endpoint takes its pending deliveries with it. Failed, rather than left
        // pending, because the sweeper would otherwise find the delivery overdue forever.
        if (endpoint === undefined) {
          if (await deps.deliveries.failWithoutAttempt(action.delivery, 'endpoint-deleted', now)) return 'done';
          continue;
        }
        if (endpoint.status === 'disabled') {
          await deps.queue.deadLetter(body, 'endpoint-disabled');
          if (await deps.deliveries.failWithoutAttempt(action.delivery, 'endpoint-disabled', now)) return 'done';
          continue;
        }
        const claimed = await deps.deliveries.claim(action.delivery, randomUUID(), now + leaseMs, now);
        if (claimed === undefined) continue;
        return attempt(deps, message, claimed, endpoint);
      }
    }
  }
  return 'retry-later';
};

/**
 * Handles a batch of delivery messages concurrently: each may wait up to WEBHOOK_TIMEOUT_MS on
 * a receiver, and ten of those in a row would outlast the function. Messages that should come
 * back later are reported in batchItemFailures and reappear after the visibility timeout.
 */
export const dispatchBatch = async (deps: DispatcherDeps, event: SQSEvent): Promise<SQSBatchResponse> => {
  const outcomes = await Promise.all(
    event.Records.map(async (record) => {
      try {
        return { id: record.messageId, disposition: await dispatchMessage(deps, record.body) };
      } catch (error) {
        logger.error('Webhook dispatch failed; the message will be retried', { error, messageId: record.messageId });
        return { id: record.messageId, disposition: 'retry-later' as const };
      }
    }),
  );
  return {
    batchItemFailures: outcomes
      .filter((outcome) => outcome.disposition === 'retry-later')
      .map((outcome) => ({ itemIdentifier: outcome.id })),
  };
};
