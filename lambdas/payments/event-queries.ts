import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { eventTypes, type EventItem, type RetrysafeEvent } from '../events/outbox.js';
import type { RouteInput } from '../http/api-route.js';
import { pageLimitParameter, parseQuery } from '../http/validation.js';
import { jsonResponse, type HttpResponse } from '../http/types.js';
import type { PaymentsTables } from './tables.js';
import { accountPartition } from '../shared/account-partition.js';

const eventsQuerySchema = z.strictObject({
  type: z.enum(eventTypes, { error: `must be one of ${eventTypes.join(', ')}` }).optional(),
  limit: pageLimitParameter(100).default(10),
});

/**
 * GET /v1/events?type=&limit=: the tenant's events, newest first. A type filter is applied by
 * DynamoDB after the key condition, so pages are read until the limit is met or the
 * partition ends.
 */
export const listEvents = async (
  deps: { readonly client: DynamoDBDocumentClient; readonly tables: Pick<PaymentsTables, 'events'> },
  { tenant, event }: RouteInput<undefined>,
): Promise<HttpResponse> => {
  const { type, limit } = parseQuery(eventsQuerySchema, event);
  const events: RetrysafeEvent[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await deps.client.send(
      new QueryCommand({
        TableName: deps.tables.events,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': accountPartition(tenant), ...(type === undefined ? {} : { ':type': type }) },
        ...(type === undefined
          ? {}
          : { FilterExpression: '#event.#type = :type', ExpressionAttributeNames: { '#event': 'event', '#type': 'type' } }),
        ScanIndexForward: false,
        Limit: limit + 1,
        ExclusiveStartKey: startKey,
      }),
    );
    events.push(...((page.Items ?? []) as EventItem[]).map((item) => item.event));
    startKey = page.LastEvaluatedKey;
  } while (events.length <= limit && startKey !== undefined);
  return jsonResponse(200, { object: 'list', url: '/v1/events', data: events.slice(0, limit), has_more: events.length > limit });
};
