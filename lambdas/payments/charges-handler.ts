import { type ApiPipeline, apiPipelineFromEnvironment, apiRoute } from '../http/api-route.js';
import { routeHandler, type RouteHandler } from '../http/router.js';
import { onFirstInvocation } from '../shared/first-invocation.js';
import { createCharge } from './charge-flow.js';
import { getCharge, listCharges } from './charge-queries.js';
import { paymentsStoreFromEnvironment, type PaymentsStore } from './payments-store.js';
import type { CardProcessor } from './processor-client/card-processor.js';
import { processorFromEnvironment } from './processor-client/from-environment.js';
import { chargeRecovery, refundRecovery } from './recovery-point.js';
import { createRefund } from './refund-flow.js';
import { refundRegionCheck } from './refund-region.js';
import { createChargeSchema, createRefundSchema } from './requests.js';

export interface ChargesDeps {
  readonly api: ApiPipeline;
  readonly processor: CardProcessor;
  readonly store: PaymentsStore;
  /** Epoch milliseconds: ids, timestamps, and (through `api`) leases. */
  readonly now: () => number;
}

export const depsFromEnvironment = (): ChargesDeps => ({
  api: apiPipelineFromEnvironment('charges'),
  processor: processorFromEnvironment(),
  store: paymentsStoreFromEnvironment(),
  now: Date.now,
});

/** The charges function: the money-moving routes, and reading charges back. */
export const createChargesHandler = (deps: ChargesDeps): RouteHandler =>
  routeHandler({
    'POST /v1/charges': apiRoute(deps.api, {
      route: 'POST /v1/charges',
      body: createChargeSchema,
      idempotencyKey: 'required',
      recovery: chargeRecovery,
      handle: (input) => createCharge(deps, input),
    }),
    'GET /v1/charges': apiRoute(deps.api, { route: 'GET /v1/charges', handle: (input) => listCharges(deps, input) }),
    'GET /v1/charges/{id}': apiRoute(deps.api, { route: 'GET /v1/charges/{id}', handle: (input) => getCharge(deps, input) }),
    'POST /v1/charges/{id}/refunds': apiRoute(deps.api, {
      route: 'POST /v1/charges/{id}/refunds',
      body: createRefundSchema,
      idempotencyKey: 'required',
      recovery: refundRecovery,
      refuseHere: refundRegionCheck(deps.store),
      handle: (input) => createRefund(deps, input),
    }),
  });

export const handler = onFirstInvocation(() => createChargesHandler(depsFromEnvironment()));
