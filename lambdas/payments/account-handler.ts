import { apiRoute } from '../http/api-route.js';
import { routeHandler, type RouteHandler } from '../http/router.js';
import { jsonResponse } from '../http/types.js';
import { dynamo } from '../shared/dynamodb.js';
import { tableName } from '../shared/env.js';
import { readBalance } from './balance.js';
import { listEvents } from './event-queries.js';

/** Read-only account routes: the balance and the event log. */
export const handler: RouteHandler = routeHandler({
  'GET /v1/balance': apiRoute({
    route: 'GET /v1/balance',
    handle: async ({ tenant }) => jsonResponse(200, await readBalance(dynamo(), tableName('payments'), tenant)),
  }),
  'GET /v1/events': apiRoute({
    route: 'GET /v1/events',
    handle: (input) => listEvents(input, { client: dynamo(), eventsTable: tableName('events') }),
  }),
});
