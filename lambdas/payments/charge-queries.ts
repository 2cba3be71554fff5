import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RouteInput } from '../http/api-route.js';
import { jsonResponse, type HttpResponse } from '../http/types.js';
import { fieldProblem, parseQuery } from '../http/validation.js';
import { parseId } from '../shared/ids.js';
import { chargeNotFound, readCharge } from './charge-flow.js';
import { chargeFromItem, chargeSortKey, type ChargeItem } from './records.js';
import { listQuerySchema } from './requests.js';
import type { PaymentsTables } from './tables.js';
import { accountPartition } from '../shared/account-partition.js';

export interface ChargeQueryDependencies {
  readonly client: DynamoDBDocumentClient;
  readonly tables: Pick<PaymentsTables, 'payments'>;
}

/** GET /v1/charges/{id}: another tenant's id simply does not exist in this tenant's partition. */
export const getCharge = async (deps: ChargeQueryDependencies, { tenant, event }: RouteInput<undefined>): Promise<HttpResponse> => {
  const rawId = event.pathParameters?.id ?? '';
  const id = parseId('charge', rawId);
  const charge = id === undefined ? undefined : await readCharge(deps.client, deps.tables.payments, tenant, id);
  return charge === undefined ? chargeNotFound(rawId) : jsonResponse(200, charge);
};

/** GET /v1/charges?limit=&starting_after=: newest first, because charge ids are ULIDs. */
export const listCharges = async (deps: ChargeQueryDependencies, { tenant, event }: RouteInput<undefined>): Promise<HttpResponse> => {
  const { limit, starting_after: startingAfter } = parseQuery(listQuerySchema, event);
  const after = startingAfter === undefined ? undefined : parseId('charge', startingAfter);
  if (startingAfter !== undefined && after === undefined) {
    throw fieldProblem('starting_after', 'must be a charge id');
  }

  const partition = accountPartition(tenant);
  const page = await deps.client.send(
    new QueryCommand({
      TableName: deps.tables.payments,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': partition, ':prefix': 'CH#' },
      ScanIndexForward: false,
      Limit: limit + 1,
      ...(after === undefined ? {} : { ExclusiveStartKey: { pk: partition, sk: chargeSortKey(after) } }),
    }),
  );
  const items = (page.Items ?? []) as ChargeItem[];
  return jsonResponse(200, {
    object: 'list',
    url: '/v1/charges',
    data: items.slice(0, limit).map(chargeFromItem),
    has_more: items.length > limit,
  });
};
