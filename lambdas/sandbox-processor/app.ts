import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { ProblemError } from '../http/problem.js';
import type { HttpResponse } from '../http/types.js';
import { parseChargeRequest } from './charge-request.js';
import { createSandboxCharge, type CreateChargeDeps } from './create-charge.js';
import { listSandboxCharges } from './list-charges.js';

export type SandboxProcessorApp = (event: APIGatewayProxyEventV2, context: Context) => Promise<HttpResponse>;

const chargesPath = '/charges';

/**
 * The processor's routes. A function URL forwards every path and method to the function, so
 * the processor does its own routing: unknown paths are 404, other methods on /charges 405.
 */
export const sandboxProcessorApp =
  (deps: CreateChargeDeps): SandboxProcessorApp =>
  async (event, context) => {
    const { method, path } = event.requestContext.http;
    if (path !== chargesPath) {
      throw new ProblemError('not-found', { detail: `${method} ${path} is not a route of the processor.` });
    }
    if (method === 'POST') return createSandboxCharge(deps, parseChargeRequest(event), context.getRemainingTimeInMillis());
    if (method === 'GET') return listSandboxCharges(deps.store, event);
    throw new ProblemError('method-not-allowed', {
      detail: `${chargesPath} supports GET and POST.`,
      headers: { Allow: 'GET, POST' },
    });
  };
