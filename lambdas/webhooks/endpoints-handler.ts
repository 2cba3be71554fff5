import { apiRoute } from '../http/api-route.js';
import { type RouteHandler, routeHandler } from '../http/router.js';
import { type DeliveryApiDeps, listDeliveries, redriveDeliveries } from './delivery-api.js';
import { systemResolver } from './destination-policy.js';
import {
  createEndpoint,
  createEndpointBody,
  deleteEndpoint,
  emptyBody,
  type EndpointApiDeps,
  listEndpoints,
  rotateSecret,
} from './endpoint-api.js';
import { allowLoopbackSetting } from './settings.js';
import { defaultDeliveryQueue, defaultDeliveryStore, defaultEndpointStore } from './stores.js';

export type EndpointsHandlerDeps = EndpointApiDeps & DeliveryApiDeps;

/** The webhookEndpoints function: endpoint management, delivery history and redrive. */
export const createEndpointsHandler = (overrides: Partial<EndpointsHandlerDeps> = {}): RouteHandler => {
  // Built on first use, not at import: the AWS clients must see the environment the host sets up.
  let built: EndpointsHandlerDeps | undefined;
  const deps = (): EndpointsHandlerDeps =>
    (built ??= {
      endpoints: overrides.endpoints ?? defaultEndpointStore(),
      deliveries: overrides.deliveries ?? defaultDeliveryStore(),
      queue: overrides.queue ?? defaultDeliveryQueue(),
      resolve: overrides.resolve ?? systemResolver,
      allowLoopback: overrides.allowLoopback ?? allowLoopbackSetting,
      now: overrides.now ?? Date.now,
    });
  return routeHandler({
    'POST /v1/webhook_endpoints': apiRoute({
      route: 'POST /v1/webhook_endpoints',
      body: createEndpointBody,
      handle: (input) => createEndpoint(deps(), input),
    }),
    'GET /v1/webhook_endpoints': apiRoute({
      route: 'GET /v1/webhook_endpoints',
      handle: (input) => listEndpoints(deps(), input),
    }),
    'DELETE /v1/webhook_endpoints/{id}': apiRoute({
      route: 'DELETE /v1/webhook_endpoints/{id}',
      handle: (input) => deleteEndpoint(deps(), input),
    }),
    'GET /v1/webhook_endpoints/{id}/deliveries': apiRoute({
      route: 'GET /v1/webhook_endpoints/{id}/deliveries',
      handle: (input) => listDeliveries(deps(), input),
    }),
    'POST /v1/webhook_endpoints/{id}/deliveries/redrive': apiRoute({
      route: 'POST /v1/webhook_endpoints/{id}/deliveries/redrive',
      body: emptyBody,
      handle: (input) => redriveDeliveries(deps(), input),
    }),
    'POST /v1/webhook_endpoints/{id}/rotate_secret': apiRoute({
      route: 'POST /v1/webhook_endpoints/{id}/rotate_secret',
      body: emptyBody,
      handle: (input) => rotateSecret(deps(), input),
    }),
  });
};

export const handler = createEndpointsHandler();
