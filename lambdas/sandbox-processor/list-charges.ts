import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { z } from 'zod';
import { type HttpResponse, jsonResponse } from '../http/types.js';
import { maxEncodableTime, parseProcessorChargeId, smallestId, smallestIdAt } from './charge-ids.js';
import type { ChargeStore, ListQuery } from './charge-store.js';
import { fieldProblem, pageLimitParameter, parseQuery } from '../http/validation.js';

export const defaultPageSize = 10;
export const maxPageSize = 100;

const isoInstant = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);

const listParametersSchema = z.strictObject({
  since: z.string().optional(),
  limit: pageLimitParameter(maxPageSize).optional(),
  cursor: z.string().optional(),
});

/** `since` as epoch milliseconds (all digits) or an ISO 8601 date or date-time with offset. */
const sinceEpochMs = (raw: string): number => {
  const epochMs = /^\d+$/.test(raw) ? Number(raw) : isoInstant.safeParse(raw).success ? Date.parse(raw) : Number.NaN;
  if (!Number.isSafeInteger(epochMs) || epochMs < 0 || epochMs > maxEncodableTime) {
    throw fieldProblem('since', 'must be epoch milliseconds or an ISO 8601 date-time such as 2025-01-31T00:00:00Z');
  }
  return epochMs;
};

/**
 * The range to read: at or after `since`, and strictly after the cursor (the last id of the
 * previous page) when that is later, so a cursor walk and a since filter compose.
 */
const rangeOf = (since: string | undefined, cursor: string | undefined, limit: number): ListQuery => {
  const sinceBound = since === undefined ? smallestId : smallestIdAt(sinceEpochMs(since));
  if (cursor === undefined) return { from: sinceBound, inclusive: true, limit };
  const after = parseProcessorChargeId(cursor);
  if (after === undefined) throw fieldProblem('cursor', 'must be the next_cursor of a previous page');
  return after >= sinceBound ? { from: after, inclusive: false, limit } : { from: sinceBound, inclusive: true, limit };
};

/**
 * GET /charges?since=&limit=&cursor= lists charges oldest first: new charges sort after the
 * cursors already handed out (clock skew between instances aside), so a reconciliation walk
 * forward from `since` also picks up charges created while it runs.
 */
export const listSandboxCharges = async (store: ChargeStore, event: APIGatewayProxyEventV2): Promise<HttpResponse> => {
  const { since, limit = defaultPageSize, cursor } = parseQuery(listParametersSchema, event);
  const page = await store.list(rangeOf(since, cursor, limit));
  const last = page.charges.at(-1);
  return jsonResponse(200, {
    object: 'list',
    data: page.charges,
    has_more: page.hasMore,
    next_cursor: page.hasMore && last !== undefined ? last.id : null,
  });
};
