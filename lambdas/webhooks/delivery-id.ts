import { createHash } from 'node:crypto';
import type { Brand, EventId, WebhookEndpointId } from '../shared/ids.js';
import { parseId } from '../shared/ids.js';

/** One delivery: one event to one endpoint. Also the `webhook-id` header of every attempt. */
export type DeliveryId = Brand<string, 'DeliveryId'>;

const eventIdPrefix = 'evt_';

/**
 * Derived, not generated: a replayed stream record or a duplicate publish computes the same id
 * and the same DynamoDB key, so its conditional put is a no-op, and a receiver deduplicating on
 * `webhook-id` sees one id however many attempts it takes. The event's ULID comes first, so an
 * id names its place in the endpoint's deliveries (newest first by event), and a list resumes
 * from it (`starting_after`) without an index; a hash of both ids tells endpoints apart at a
 * fixed size.
 */
export const deliveryIdFor = (eventId: EventId, endpointId: WebhookEndpointId): DeliveryId =>
  `dlv_${eventId.slice(eventIdPrefix.length)}_${createHash('sha256').update(`${eventId}\n${endpointId}`, 'utf8').digest('base64url').slice(0, 16)}` as DeliveryId;

/** Every delivery id: `dlv_`, its event's ULID, `_`, 16 characters of hash. */
export const deliveryIdPattern = /^dlv_([0-9A-HJKMNP-TV-Z]{26})_[\w-]{16}$/;

/** The event a delivery id was derived from, or undefined when the text is no delivery id. */
export const eventIdOfDelivery = (raw: string): EventId | undefined => {
  const ulid = deliveryIdPattern.exec(raw)?.[1];
  return ulid === undefined ? undefined : parseId('event', `${eventIdPrefix}${ulid}`);
};
