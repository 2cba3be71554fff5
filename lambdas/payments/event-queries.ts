import { z } from 'zod';
import { eventTypes } from '../events/outbox.js';
import type { RouteInput } from '../http/api-route.js';
import { pageLimitParameter, parseQuery } from '../http/validation.js';
import { jsonResponse, type HttpResponse } from '../http/types.js';
import type { PaymentsStore } from './payments-store.js';

const eventsQuerySchema = z.strictObject({
  type: z.enum(eventTypes, { error: `must be one of ${eventTypes.join(', ')}` }).optional(),
  limit: pageLimitParameter(100).default(10),
});

/** GET /v1/events?type=&limit=: the tenant's events, newest first. */
export const listEvents = async (
  { store }: { readonly store: PaymentsStore },
  { tenant, event }: RouteInput<undefined>,
): Promise<HttpResponse> => {
  const { type, limit } = parseQuery(eventsQuerySchema, event);
  const page = await store.listEvents(tenant, { limit, type });
  return jsonResponse(200, { object: 'list', url: '/v1/events', data: page.events, has_more: page.hasMore });
};
