import { z } from 'zod';
import { eventTypes } from '../events/outbox.js';
import type { RouteInput } from '../http/api-route.js';
import { listResponse, pageQuery } from '../http/paging.js';
import type { HttpResponse } from '../http/types.js';
import { parseQuery } from '../http/validation.js';
import { parseId } from '../shared/ids.js';
import type { PaymentsStore } from './payments-store.js';

export const eventsQuerySchema = z.strictObject({
  type: z.enum(eventTypes, { error: `must be one of ${eventTypes.join(', ')}` }).optional(),
  ...pageQuery('event', (raw) => parseId('event', raw)),
});

/**
 * GET /v1/events?type=&limit=&starting_after=: the tenant's events, newest first. A consumer
 * catching up after an outage pages back from its newest event until it meets one it has.
 */
export const listEvents = async (
  { store }: { readonly store: PaymentsStore },
  { tenant, event }: RouteInput<undefined>,
): Promise<HttpResponse> => {
  const { type, limit, starting_after: after } = parseQuery(eventsQuerySchema, event);
  const page = await store.listEvents(tenant, { limit, type, after });
  return listResponse('/v1/events', page.events, page.hasMore);
};
