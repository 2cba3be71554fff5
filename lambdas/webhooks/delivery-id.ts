import { createHash } from 'node:crypto';
import type { Brand, EventId, WebhookEndpointId } from '../shared/ids.js';

/** One delivery: one event to one endpoint. Also the `webhook-id` header of every attempt. */
export type DeliveryId = Brand<string, 'DeliveryId'>;

/**
 * Derived, not generated: a replayed stream record or a duplicate publish computes the same id
 * and the same DynamoDB key, so its conditional put is a no-op, and a receiver deduplicating on
 * `webhook-id` sees one id however many attempts it takes. Hashing keeps the id a fixed size
 * whatever the event and endpoint ids look like.
 */
export const deliveryIdFor = (eventId: EventId, endpointId: WebhookEndpointId): DeliveryId =>
  `dlv_${createHash('sha256').update(`${eventId}\n${endpointId}`, 'utf8').digest('base64url').slice(0, 32)}` as DeliveryId;
