import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type ApiPipeline, apiPipelineFromEnvironment, apiRoute } from '../http/api-route.js';
import { routeHandler, type RouteHandler } from '../http/router.js';
import { jsonResponse } from '../http/types.js';
import { dynamo } from '../shared/dynamodb.js';
import { onFirstInvocation } from '../shared/first-invocation.js';
import { readBalance } from './balance.js';
import { listEvents } from './event-queries.js';
import { paymentsTablesFromEnvironment, type PaymentsTables } from './tables.js';

export interface AccountDeps {
  readonly api: ApiPipeline;
  readonly client: DynamoDBDocumentClient;
  readonly tables: PaymentsTables;
}

export const depsFromEnvironment = (): AccountDeps => ({
  api: apiPipelineFromEnvironment('account'),
  client: dynamo(),
  tables: paymentsTablesFromEnvironment(),
});

/** The account function: read-only routes for the balance and the event log. */
export const createAccountHandler = (deps: AccountDeps): RouteHandler =>
  routeHandler({
    'GET /v1/balance': apiRoute(deps.api, {
      route: 'GET /v1/balance',
      handle: async ({ tenant }) => jsonResponse(200, await readBalance(deps.client, deps.tables.payments, tenant)),
    }),
    'GET /v1/events': apiRoute(deps.api, { route: 'GET /v1/events', handle: (input) => listEvents(deps, input) }),
  });

export const handler = onFirstInvocation(() => createAccountHandler(depsFromEnvironment()));
