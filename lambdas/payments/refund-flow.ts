import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { eventPut, type RetrysafeEvent } from '../events/outbox.js';
import type { RouteInput } from '../http/api-route.js';
import { problem, problemResponse } from '../http/problem.js';
import { jsonResponse, type HttpResponse } from '../http/types.js';
import { keyReusedResponse, withAtomicCommit, type ActiveIdempotency } from '../idempotency/index.js';
import { newId, parseId, type AccountId } from '../shared/ids.js';
import { balanceAdd } from './balance.js';
import { chargeNotFound, readCharge } from './charge-flow.js';
import { findKeyGuard, keyGuardPut } from './key-guard.js';
import { ledgerPuts, refundEntries } from './ledger.js';
import { chargeSortKey, refundFromItem, refundSortKey, type KeyGuardItem, type Refund, type RefundItem } from './records.js';
import type { CreateRefundRequest } from './requests.js';
import type { PaymentsTables } from './tables.js';
import { accountPartition } from '../shared/account-partition.js';

export interface RefundFlowDependencies {
  readonly client: DynamoDBDocumentClient;
  readonly tables: PaymentsTables;
  readonly now: () => number;
}

const tooLarge = (requested: number, refundable: number): HttpResponse =>
  problemResponse(
    problem('amount-too-large', {
      detail:
        refundable === 0
          ? 'The charge has been refunded in full.'
          : `At most ${refundable} can still be refunded; ${requested} was requested.`,
      extensions: { field: 'amount', amount_refundable: refundable },
    }),
  );

/**
 * POST /v1/charges/{id}/refunds. Concurrent refunds of one charge can never exceed it: the
 * commit decrements `amount_refundable` under the condition that enough remains, so of two
 * refunds racing for the last cent, one commits and the other is answered 400, with nothing
 * written. The refund's ledger entries, balance change, outbox event, key guard and the
 * COMPLETED idempotency record commit in the same transaction.
 */
export const createRefund = async (
  deps: RefundFlowDependencies,
  { body, tenant, event, idempotency }: RouteInput<CreateRefundRequest>,
): Promise<HttpResponse> => {
  if (idempotency === undefined)
    throw new Error('POST /v1/charges/{id}/refunds requires an Idempotency-Key; the route must be configured so');
  const { tables } = deps;
  const rawId = event.pathParameters?.id ?? '';
  const chargeId = parseId('charge', rawId);
  if (chargeId === undefined) return chargeNotFound(rawId);

  const guard = await findKeyGuard(deps.client, tables.payments, tenant, idempotency);
  if (guard !== undefined) return answerFromGuard(deps, tables, tenant, guard, idempotency);

  const charge = await readCharge(deps.client, tables.payments, tenant, chargeId);
  if (charge === undefined) return chargeNotFound(chargeId);
  if (charge.status !== 'succeeded') {
    return problemResponse(
      problem('charge-not-refundable', { detail: `Charge ${chargeId} is ${charge.status}; only succeeded charges can be refunded.` }),
    );
  }
  const refundable = charge.amount - charge.amount_refunded;
  const amount = body.amount ?? refundable;
  if (amount === 0 || amount > refundable) return tooLarge(amount, refundable);

  const nowMs = deps.now();
  const created = Math.floor(nowMs / 1000);
  const refund: Refund = {
    id: newId('refund', nowMs),
    object: 'refund',
    charge: chargeId,
    amount,
    currency: charge.currency,
    status: 'succeeded',
    created,
  };
  const item: RefundItem = { ...refund, pk: accountPartition(tenant), sk: refundSortKey(refund.id) };
  const refundEvent: RetrysafeEvent = {
    id: newId('event', nowMs),
    object: 'event',
    type: 'charge.refunded',
    created,
    data: { object: { ...refund } },
  };
  const writes = [
    {
      Update: {
        TableName: tables.payments,
        Key: { pk: accountPartition(tenant), sk: chargeSortKey(chargeId) },
        UpdateExpression: 'SET amount_refundable = amount_refundable - :amount, amount_refunded = amount_refunded + :amount',
        ConditionExpression: 'amount_refundable >= :amount',
        ExpressionAttributeValues: { ':amount': amount },
      },
    },
    { Put: { TableName: tables.payments, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
    ...ledgerPuts(
      tables.ledger,
      refundEntries({
        id: newId('ledgerTransaction', nowMs),
        account: tenant,
        currency: charge.currency,
        amount,
        source: { kind: 'refund', id: refund.id, charge: chargeId },
        created,
      }),
    ),
    balanceAdd(tables.payments, tenant, charge.currency, -amount),
    eventPut(tables.events, tenant, refundEvent),
    keyGuardPut(tables.payments, tenant, idempotency, { kind: 'refund', id: refund.id, charge: chargeId }, nowMs),
  ];
  return withAtomicCommit(jsonResponse(201, refund), {
    writes,
    onRejected: ({ index, item: current }) => {
      if (index !== 0) throw new Error(`Refund write ${index} was rejected at commit`);
      return tooLarge(amount, typeof current?.amount_refundable === 'number' ? current.amount_refundable : 0);
    },
  });
};

const answerFromGuard = async (
  deps: RefundFlowDependencies,
  tables: PaymentsTables,
  tenant: AccountId,
  guard: KeyGuardItem,
  idempotency: ActiveIdempotency,
): Promise<HttpResponse> => {
  if (guard.fingerprint !== idempotency.fingerprint || guard.resource.kind !== 'refund') {
    return keyReusedResponse();
  }
  const result = await deps.client.send(
    new GetCommand({
      TableName: tables.payments,
      Key: { pk: accountPartition(tenant), sk: refundSortKey(guard.resource.id) },
      ConsistentRead: true,
    }),
  );
  if (result.Item === undefined) throw new Error(`Key guard points at missing refund ${guard.resource.id}`);
  return jsonResponse(200, refundFromItem(result.Item as RefundItem), { 'Idempotent-Replayed': 'true' });
};
