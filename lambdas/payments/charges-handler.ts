import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { apiRoute } from '../http/api-route.js';
import { routeHandler, type RouteHandler } from '../http/router.js';
import { dynamo } from '../shared/dynamodb.js';
import { createCharge } from './charge-flow.js';
import { getCharge, listCharges } from './charge-queries.js';
import { processorFromEnvironment } from './processor-client/from-environment.js';
import type { CardProcessor } from './processor-client/card-processor.js';
import { createRefund } from './refund-flow.js';
import { createChargeSchema, createRefundSchema } from './requests.js';
import { paymentsTablesFromEnvironment, type PaymentsTables } from './tables.js';

/** Where the routes get their collaborators; each is resolved per request. */
export interface ChargesEnvironment {
  readonly processor: () => CardProcessor;
  readonly client: () => DynamoDBDocumentClient;
  readonly tables: () => PaymentsTables;
  readonly now: () => number;
}

/** The money-moving routes; tests build it with their own processor to inject faults. */
export const createChargesHandler = (environment: ChargesEnvironment): RouteHandler => {
  const deps = () => ({
    processor: environment.processor(),
    client: environment.client(),
    tables: environment.tables(),
    now: environment.now,
  });
  const queries = () => ({ client: environment.client(), paymentsTable: environment.tables().payments });
  return routeHandler({
    'POST /v1/charges': apiRoute({
      route: 'POST /v1/charges',
      body: createChargeSchema,
      idempotencyKey: 'required',
      now: environment.now,
      handle: (input) => createCharge(input, deps()),
    }),
    'GET /v1/charges': apiRoute({ route: 'GET /v1/charges', handle: (input) => listCharges(input, queries()) }),
    'GET /v1/charges/{id}': apiRoute({ route: 'GET /v1/charges/{id}', handle: (input) => getCharge(input, queries()) }),
    'POST /v1/charges/{id}/refunds': apiRoute({
      route: 'POST /v1/charges/{id}/refunds',
      body: createRefundSchema,
      idempotencyKey: 'required',
      now: environment.now,
      handle: (input) => createRefund(input, deps()),
    }),
  });
};

let processor: CardProcessor | undefined;

export const handler: RouteHandler = createChargesHandler({
  // Built on first use, once per container: its credential provider caches.
  processor: () => (processor ??= processorFromEnvironment()),
  client: dynamo,
  tables: paymentsTablesFromEnvironment,
  now: Date.now,
});
