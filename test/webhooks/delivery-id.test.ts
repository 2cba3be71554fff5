import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newId } from '../../lambdas/shared/ids.js';
import { deliveryIdFor, eventIdOfDelivery } from '../../lambdas/webhooks/delivery-id.js';

describe('delivery ids', () => {
  it('are derived from the event and the endpoint, and name the event they deliver', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 47 }), fc.integer({ min: 0, max: 2 ** 47 }), (eventMs, endpointMs) => {
        const event = newId('event', eventMs);
        const endpoint = newId('webhookEndpoint', endpointMs);
        const other = newId('webhookEndpoint', endpointMs);
        const id = deliveryIdFor(event, endpoint);
        expect(deliveryIdFor(event, endpoint)).toBe(id);
        expect(deliveryIdFor(event, other)).not.toBe(id);
        expect(eventIdOfDelivery(id)).toBe(event);
      }),
    );
  });

  it('reject what no delivery id looks like', () => {
    const event = newId('event');
    for (const raw of [
      '',
      event,
      'dlv_',
      `dlv_${event.slice(4)}`,
      `dlv_${event.slice(4)}_short`,
      `${deliveryIdFor(event, newId('webhookEndpoint'))}x`,
    ])
      expect(eventIdOfDelivery(raw)).toBeUndefined();
  });
});
