import { type ApiPipeline, apiPipelineFromEnvironment, apiRoute } from '../http/api-route.js';
import { type RouteHandler, routeHandler } from '../http/router.js';
import { onFirstInvocation } from '../shared/first-invocation.js';
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

export type EndpointsDeps = EndpointApiDeps & DeliveryApiDeps & { readonly api: ApiPipeline };

export const depsFromEnvironment = (): EndpointsDeps => ({
  api: apiPipelineFromEnvironment('webhookEndpoints'),
  endpoints: defaultEndpointStore(),
  deliveries: defaultDeliveryStore(),
  queue: defaultDeliveryQueue(),
  resolve: systemResolver,
  allowLoopback: allowLoopbackSetting(),
  now: Date.now,
});

/** The webhookEndpoints function: endpoint management, delivery history and redrive. */
export const createEndpointsHandler = (deps: EndpointsDeps): RouteHandler =>
  routeHandler({
    'POST /v1/webhook_endpoints': apiRoute(deps.api, {
      route: 'POST /v1/webhook_endpoints',
      body: createEndpointBody,
      handle: (input) => createEndpoint(deps, input),
    }),
    'GET /v1/webhook_endpoints': apiRoute(deps.api, {
      route: 'GET /v1/webhook_endpoints',
      handle: (input) => listEndpoints(deps, input),
    }),
    'DELETE /v1/webhook_endpoints/{id}': apiRoute(deps.api, {
      route: 'DELETE /v1/webhook_endpoints/{id}',
      handle: (input) => deleteEndpoint(deps, input),
    }),
    'GET /v1/webhook_endpoints/{id}/deliveries': apiRoute(deps.api, {
      route: 'GET /v1/webhook_endpoints/{id}/deliveries',
      handle: (input) => listDeliveries(deps, input),
    }),
    'POST /v1/webhook_endpoints/{id}/deliveries/redrive': apiRoute(deps.api, {
      route: 'POST /v1/webhook_endpoints/{id}/deliveries/redrive',
      body: emptyBody,
      handle: (input) => redriveDeliveries(deps, input),
    }),
    'POST /v1/webhook_endpoints/{id}/rotate_secret': apiRoute(deps.api, {
      route: 'POST /v1/webhook_endpoints/{id}/rotate_secret',
      body: emptyBody,
      handle: (input) => rotateSecret(deps, input),
    }),
  });

export const handler = onFirstInvocation(() => createEndpointsHandler(depsFromEnvironment()));
