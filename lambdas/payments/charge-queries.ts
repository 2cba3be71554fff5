import type { RouteInput } from '../http/api-route.js';
import { listResponse } from '../http/paging.js';
import { jsonResponse, type HttpResponse } from '../http/types.js';
import { parseQuery } from '../http/validation.js';
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
  const { limit, starting_after: after } = parseQuery(listQuerySchema, event);
  const page = await store.listCharges(tenant, { limit, after });
  return listResponse('/v1/charges', page.charges, page.hasMore);
};
