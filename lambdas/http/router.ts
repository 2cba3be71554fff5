import type { Context } from 'aws-lambda';
import type { RouteKey } from '../topology.js';
import { problem, problemResponse } from './problem.js';
import type { ApiGatewayEvent, HttpResponse } from './types.js';

export type RouteHandler = (event: ApiGatewayEvent, context: Context) => Promise<HttpResponse>;

/**
 * One Lambda serves a group of routes. API Gateway has already matched the path against the
 * resource templates, so dispatch is a lookup on `METHOD /template`, the same key the topology
 * declares routes with.
 */
export const routeHandler =
  (handlers: Partial<Record<RouteKey, RouteHandler>>): RouteHandler =>
  async (event, context) => {
    const handler = handlers[`${event.httpMethod} ${event.resource}` as RouteKey];
    if (handler !== undefined) return handler(event, context);
    return problemResponse(
      problem('not-found', { detail: `${event.httpMethod} ${event.path} is not a route of this API.` }),
      context.awsRequestId,
    );
  };
