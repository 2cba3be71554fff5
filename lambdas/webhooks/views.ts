import type { AttemptRecord, DeliveryItem, FailureReason } from './delivery-record.js';
import type { EndpointItem } from './endpoint-record.js';

/** The API's representations. Secrets are never part of a view: only create and rotate add one. */
export interface WebhookEndpointView {
  id: string;
  object: 'webhook_endpoint';
  url: string;
  enabled_events: readonly string[];
  status: 'enabled' | 'disabled';
  /** 'gone' when a 410 from the receiver disabled it. */
  disabled_reason: 'gone' | null;
  created: number;
}

export interface WebhookAttemptView {
  number: number;
  /** Epoch seconds. */
  attempted_at: number;
  http_status: number | null;
  error: string | null;
  duration_ms: number;
}

export interface WebhookDeliveryView {
  id: string;
  object: 'webhook_delivery';
  webhook_endpoint: string;
  event: { id: string; type: string };
  status: DeliveryItem['status'];
  attempts: WebhookAttemptView[];
  /** Epoch seconds; set while pending. */
  next_attempt_at: number | null;
  failure_reason: FailureReason | null;
  created: number;
  delivered_at: number | null;
  failed_at: number | null;
}

const seconds = (epochMs: number): number => Math.floor(epochMs / 1000);

export const endpointView = (endpoint: EndpointItem): WebhookEndpointView => ({
  id: endpoint.id,
  object: 'webhook_endpoint',
  url: endpoint.url,
  enabled_events: endpoint.enabledEvents,
  status: endpoint.status,
  disabled_reason: endpoint.status === 'disabled' ? endpoint.disabledReason : null,
  created: endpoint.created,
});

const attemptView = (attempt: AttemptRecord): WebhookAttemptView => ({
  number: attempt.number,
  attempted_at: seconds(attempt.at),
  http_status: attempt.kind === 'response' ? attempt.status : null,
  error: attempt.kind === 'error' ? attempt.error : null,
  duration_ms: attempt.durationMs,
});

export const deliveryView = (delivery: DeliveryItem): WebhookDeliveryView => ({
  id: delivery.id,
  object: 'webhook_delivery',
  webhook_endpoint: delivery.endpointId,
  event: { id: delivery.eventId, type: delivery.eventType },
  status: delivery.status,
  attempts: delivery.attempts.map(attemptView),
  next_attempt_at: delivery.status === 'pending' ? seconds(delivery.nextAttemptAt) : null,
  failure_reason: delivery.status === 'failed' ? delivery.failureReason : null,
  created: seconds(delivery.createdAt),
  delivered_at: delivery.status === 'delivered' ? seconds(delivery.deliveredAt) : null,
  failed_at: delivery.status === 'failed' ? seconds(delivery.failedAt) : null,
});
