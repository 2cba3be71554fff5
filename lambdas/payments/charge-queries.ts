import type { RouteInput } from '../http/api-route.js';
import { jsonResponse, type HttpResponse } from '../http/types.js';
import { fieldProblem, parseQuery } from '../http/validation.js';
import { parseId } from '../shared/ids.js';
import { chargeNotFound } from './charge-responses.js';
import type { PaymentsStore } from './payments-store.js';
import { listQuerySchema } from './requests.js';

export interface ChargeQueryDependencies {
  readonly store: PaymentsStore;
}

/** GET /v1/charges/{id}: another tenant's id simply does not exist in this tenant's partition. */
export const getCharge = async ({ store }: ChargeQueryDependencies, { tenant, event }: RouteInput<undefined>): Promise<HttpResponse> => {
  const rawId = event.pathParameters?.id ?? '';
  const id = parseId('charge', rawId);
  const charge = id === undefined ? undefined : await store.readCharge(tenant, id);
  return charge === undefined ? chargeNotFound(rawId) : jsonResponse(200, charge);
};

/** GET /v1/charges?limit=&starting_after=: newest first. */
export const listCharges = async ({ store }: ChargeQueryDependencies, { tenant, event }: RouteInput<undefined>): Promise<HttpResponse> => {
  const { limit, starting_after: startingAfter } = parseQuery(listQuerySchema, event);
  const after = startingAfter === undefined ? undefined : parseId('charge', startingAfter);
  if (startingAfter !== undefined && after === undefined) {
    throw fieldProblem('starting_after', 'must be a charge id');
  }
  const page = await store.listCharges(tenant, { limit, after });
  return jsonResponse(200, { object: 'list', url: '/v1/charges', data: page.charges, has_more: page.hasMore });
};
