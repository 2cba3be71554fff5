import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { idempotency, type IdempotencyContext, withAtomicCommit } from '@retrysafe/idempotency';
import type { HttpResponse } from '../../../lambdas/http/types.js';
import type { Notification } from '../receiver/notifier-client.js';

export interface NotifierOptions {
  readonly idempotencyTable: string | (() => string);
  readonly notificationsTable: string | (() => string);
  /** A client of its own, e.g. a test's; the process's DynamoDB client by default. */
  readonly client?: DynamoDBDocumentClient;
  readonly now?: () => number;
}

export type NotifierHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<HttpResponse>;

const badRequest = (detail: string): HttpResponse => ({
  statusCode: 400,
  headers: { 'Content-Type': 'application/problem+json' },
  body: JSON.stringify({ type: 'about:blank', title: 'Bad Request', status: 400, detail }),
});

const notificationOf = (body: string | undefined): Notification | undefined => {
  try {
    const parsed = JSON.parse(body ?? '') as Partial<Notification> | null;
    const { event_id, charge_id, amount, currency } = parsed ?? {};
    if (typeof event_id !== 'string' || typeof charge_id !== 'string' || typeof amount !== 'number' || typeof currency !== 'string')
      return undefined;
    return { event_id, charge_id, amount, currency };
  } catch {
    return undefined;
  }
};

/**
 * C: POST /notifications, acting once per Idempotency-Key with Retrysafe's idempotency
 * middleware. The notification (the action) commits in one transaction with the key's record,
 * so there is never an action without its record, nor a record without its action; a retry of a
 * request whose answer was lost gets the stored answer back.
 */
export const notifierHandler = (options: NotifierOptions): NotifierHandler => {
  const table = typeof options.notificationsTable === 'function' ? options.notificationsTable : () => options.notificationsTable as string;
  const notify = (event: APIGatewayProxyEventV2, context: IdempotencyContext): HttpResponse => {
    const notification = notificationOf(event.body);
    if (notification === undefined) return badRequest('A JSON body {event_id, charge_id, amount, currency} is required.');
    const key = context.idempotency?.key;
    if (key === undefined) return badRequest('An Idempotency-Key header is required.');
    const item = { idempotencyKey: key, ...notification, sentAt: (options.now ?? Date.now)() };
    return withAtomicCommit(
      { statusCode: 201, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ object: 'notification', ...item }) },
      { writes: [{ Put: { TableName: table(), Item: item, ConditionExpression: 'attribute_not_exists(idempotencyKey)' } }] },
    );
  };
  return middy<APIGatewayProxyEventV2, HttpResponse, Error, Context & IdempotencyContext>(notify).use(
    idempotency<APIGatewayProxyEventV2>({
      tableName: options.idempotencyTable,
      required: true,
      storedHeaders: ['Content-Type'],
      ...(options.client === undefined ? {} : { client: options.client }),
      ...(options.now === undefined ? {} : { now: options.now }),
    }),
  );
};
