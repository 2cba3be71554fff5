import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { ProblemError } from '../http/problem.js';
import type { HttpResponse } from '../http/types.js';
import { parseChargeRequest } from './charge-request.js';
import { createSandboxCharge } from './create-charge.js';
import { createSandboxRefund } from './create-refund.js';
import { listObjects } from './list-route.js';
import { chargeKind, refundKind } from './processor-table.js';
import { parseRefundRequest } from './refund-request.js';
import type { SandboxDeps } from './sandbox-deps.js';

export type SandboxProcessorApp = (event: APIGatewayProxyEventV2, context: Context) => Promise<HttpResponse>;

/** Every route of the processor takes GET (list, look up) and POST (create). */
type Route = Readonly<Record<'GET' | 'POST', SandboxProcessorApp>>;

const routes = (deps: SandboxDeps): Readonly<Record<string, Route>> => ({
  '/charges': {
    GET: (event) => listObjects(chargeKind, deps.charges, deps.keys, event),
    POST: (event, context) => createSandboxCharge(deps, parseChargeRequest(event), context.getRemainingTimeInMillis()),
  },
  '/refunds': {
    GET: (event) => listObjects(refundKind, deps.refunds, deps.keys, event),
    POST: (event, context) => createSandboxRefund(deps, parseRefundRequest(event), context.getRemainingTimeInMillis()),
  },
});

/**
 * The processor's routes. A function URL forwards every path and method to the function, so
 * the processor does its own routing: unknown paths are 404, other methods on a route 405.
 */
export const sandboxProcessorApp = (deps: SandboxDeps): SandboxProcessorApp => {
  const table = routes(deps);
  return async (event, context) => {
    const { method, path } = event.requestContext.http;
    const route = Object.hasOwn(table, path) ? table[path] : undefined;
    if (route === undefined) {
      throw new ProblemError('not-found', { detail: `${method} ${path} is not a route of the processor.` });
    }
    if (method !== 'GET' && method !== 'POST') {
      throw new ProblemError('method-not-allowed', { detail: `${path} supports GET and POST.`, headers: { Allow: 'GET, POST' } });
    }
    return route[method](event, context);
  };
};
