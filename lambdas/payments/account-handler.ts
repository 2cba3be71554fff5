import { type ApiPipeline, apiPipelineFromEnvironment, apiRoute } from '../http/api-route.js';
import { routeHandler, type RouteHandler } from '../http/router.js';
import { jsonResponse } from '../http/types.js';
import { onFirstInvocation } from '../shared/first-invocation.js';
import { listEvents } from './event-queries.js';
import { paymentsStoreFromEnvironment, type PaymentsStore } from './payments-store.js';

export interface AccountDeps {
  readonly api: ApiPipeline;
  readonly store: PaymentsStore;
}

export const depsFromEnvironment = (): AccountDeps => ({
  api: apiPipelineFromEnvironment('account'),
  store: paymentsStoreFromEnvironment(),
});

/** The account function: read-only routes for the balance and the event log. */
export const createAccountHandler = (deps: AccountDeps): RouteHandler =>
  routeHandler({
    'GET /v1/balance': apiRoute(deps.api, {
      route: 'GET /v1/balance',
      handle: async ({ tenant }) => jsonResponse(200, await deps.store.readBalance(tenant)),
    }),
    'GET /v1/events': apiRoute(deps.api, { route: 'GET /v1/events', handle: (input) => listEvents(deps, input) }),
  });

export const handler = onFirstInvocation(() => createAccountHandler(depsFromEnvironment()));
