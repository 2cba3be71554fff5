import type { IdempotencyEngine } from '@retrysafe/idempotency';
import { type ApiPipeline, apiPipelineFromEnvironment, apiRoute } from '../http/api-route.js';
import { routeHandler, type RouteHandler } from '../http/router.js';
import { jsonResponse } from '../http/types.js';
import { onFirstInvocation } from '../shared/first-invocation.js';
import { idempotencyEngineFor } from '../shared/idempotency-engine.js';
import { listEvents } from './event-queries.js';
import { getIdempotencyKey } from './idempotency-key-queries.js';
import { paymentsStoreFromEnvironment, type PaymentsStore } from './payments-store.js';

export interface AccountDeps {
  readonly api: ApiPipeline;
  readonly store: PaymentsStore;
  /** Reads keys' records; this function claims none (it serves no POST). */
  readonly idempotency: IdempotencyEngine;
}

export const depsFromEnvironment = (): AccountDeps => ({
  api: apiPipelineFromEnvironment('account'),
  store: paymentsStoreFromEnvironment(),
  idempotency: idempotencyEngineFor('account'),
});

/** The account function: read-only routes for the balance, the event log and keys' outcomes. */
export const createAccountHandler = (deps: AccountDeps): RouteHandler =>
  routeHandler({
    'GET /v1/balance': apiRoute(deps.api, {
      route: 'GET /v1/balance',
      handle: async ({ tenant }) => jsonResponse(200, await deps.store.readBalance(tenant)),
    }),
    'GET /v1/events': apiRoute(deps.api, { route: 'GET /v1/events', handle: (input) => listEvents(deps, input) }),
    'GET /v1/idempotency_keys/{key+}': apiRoute(deps.api, {
      route: 'GET /v1/idempotency_keys/{key+}',
      handle: (input) => getIdempotencyKey(deps, input),
    }),
  });

export const handler = onFirstInvocation(() => createAccountHandler(depsFromEnvironment()));
