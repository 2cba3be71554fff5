import { z } from 'zod';
import type { RouteInput } from '../http/api-route.js';
import { listResponse, pageQuery } from '../http/paging.js';
import { type HttpResponse, jsonResponse } from '../http/types.js';
import { eventIdOfDelivery } from './delivery-id.js';
import { deliveryStatuses, type FailedDelivery } from './delivery-record.js';
import type { DeliveryMessage, DeliveryQueue } from './delivery-queue.js';
import type { DeliveryStore } from './delivery-store.js';
import { requireEndpoint, type EmptyBody } from './endpoint-api.js';
import type { EndpointStore } from './endpoint-store.js';
import type { EndpointItem } from './endpoint-record.js';
import { deliveryView } from './views.js';
import { parseQuery } from '../http/validation.js';

export interface DeliveryApiDeps {
  readonly endpoints: EndpointStore;
  readonly deliveries: DeliveryStore;
  readonly queue: DeliveryQueue;
  /** Epoch milliseconds. */
  readonly now: () => number;
}

/**
 * A redrive answers within the API's 10-second function timeout, so one request moves at most
 * this many deliveries; `has_more` tells the caller to send another (with a new Idempotency-Key).
 */
export const maxRedrivePerRequest = 500;
const revivesInParallel = 25;

export const deliveriesQuerySchema = z.strictObject({
  status: z.enum(deliveryStatuses, { error: `must be one of ${deliveryStatuses.join(', ')}` }).optional(),
  ...pageQuery('webhook delivery', eventIdOfDelivery),
});

/**
 * GET /v1/webhook_endpoints/{id}/deliveries?status=&limit=&starting_after= lists deliveries
 * newest first (by event), each with every attempt.
 */
export const listDeliveries = async (deps: DeliveryApiDeps, input: RouteInput<unknown>): Promise<HttpResponse> => {
  const { status, limit, starting_after: afterEventId } = parseQuery(deliveriesQuerySchema, input.event);
  const endpoint = await requireEndpoint(deps.endpoints, input);
  const page = await deps.deliveries.list(endpoint.id, {
    limit,
    ...(status === undefined ? {} : { status }),
    ...(afterEventId === undefined ? {} : { afterEventId }),
  });
  return listResponse(`/v1/webhook_endpoints/${endpoint.id}/deliveries`, page.deliveries.map(deliveryView), page.hasMore);
};

const redriveMessage = (delivery: FailedDelivery): DeliveryMessage => ({
  accountId: delivery.accountId,
  endpointId: delivery.endpointId,
  eventId: delivery.eventId,
  attempt: delivery.attemptCount + 1,
});

/**
 * POST /v1/webhook_endpoints/{id}/deliveries/redrive: every failed delivery of the endpoint
 * gets a new round with a fresh schedule. Delivered ones are untouched; pending ones are still
 * in their round.
 *
 * Messages go out before the records change. If sending fails nothing changed and the request
 * can simply be retried; if a record update fails after its message went out, the message
 * revives the delivery itself when it arrives (a failed delivery accepts exactly the message
 * for its next attempt, see delivery-state.ts). The dead-letter copies of these deliveries stay
 * in the DLQ as a record of what failed; moved back, they are duplicates of the messages sent
 * here and are dropped.
 *
 * An endpoint disabled by a 410 is enabled again: asking for its failed deliveries to be
 * resent is the merchant saying the receiver is back.
 */
export const redriveDeliveries = async (deps: DeliveryApiDeps, input: RouteInput<EmptyBody>): Promise<HttpResponse> => {
  const endpoint = await requireEndpoint(deps.endpoints, input);
  const { count, hasMore } = await redriveEndpoint(deps, endpoint);
  return jsonResponse(202, { object: 'webhook_redrive', webhook_endpoint: endpoint.id, count, has_more: hasMore });
};

/** The redrive itself, for the API route and `npm run ops -- redrive` alike: how many were resent, and whether more are left. */
export const redriveEndpoint = async (
  deps: DeliveryApiDeps,
  endpoint: EndpointItem,
): Promise<{ readonly count: number; readonly hasMore: boolean }> => {
  if (endpoint.status === 'disabled') await deps.endpoints.enable(endpoint.accountId, endpoint.id);
  const page = await deps.deliveries.list(endpoint.id, { status: 'failed', limit: maxRedrivePerRequest });
  const failed = page.deliveries.filter((delivery): delivery is FailedDelivery => delivery.status === 'failed');
  await deps.queue.enqueueAll(failed.map(redriveMessage));
  const nowMs = deps.now();
  for (let start = 0; start < failed.length; start += revivesInParallel) {
    await Promise.all(failed.slice(start, start + revivesInParallel).map((delivery) => deps.deliveries.revive(delivery, nowMs)));
  }
  return { count: failed.length, hasMore: page.hasMore };
};
