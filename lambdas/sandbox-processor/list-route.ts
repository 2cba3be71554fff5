import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { z } from 'zod';
import { type IdempotencyKey, maxKeyLength } from '@retrysafe/idempotency';
import type { HttpResponse } from '../http/types.js';
import { fieldProblem, pageLimitParameter, parseQuery } from '../http/validation.js';
import { findByKey } from './find-by-key.js';
import { listResponse } from './list-response.js';
import type { KeyRecords } from './key-records.js';
import type { ListQuery, Listing } from './listing.js';
import { maxEncodableTime } from './object-ids.js';
import type { ObjectKind } from './processor-table.js';

export const defaultPageSize = 10;
export const maxPageSize = 100;

const isoInstant = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);

const listParametersSchema = z.strictObject({
  since: z.string().optional(),
  limit: pageLimitParameter(maxPageSize).optional(),
  cursor: z.string().optional(),
  idempotency_key: z
    .string()
    .regex(/^[\x20-\x7e]+$/, 'must be 1 or more printable ASCII characters')
    .max(maxKeyLength)
    .transform((key) => key as IdempotencyKey)
    .optional(),
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
const rangeOf = <Id extends string>(
  kind: ObjectKind<Id>,
  since: string | undefined,
  cursor: string | undefined,
  limit: number,
): ListQuery => {
  const sinceBound = since === undefined ? kind.ids.smallest : kind.ids.smallestAt(sinceEpochMs(since));
  if (cursor === undefined) return { from: sinceBound, inclusive: true, limit };
  const after = kind.ids.parse(cursor);
  if (after === undefined) throw fieldProblem('cursor', 'must be the next_cursor of a previous page');
  return after >= sinceBound ? { from: after, inclusive: false, limit } : { from: sinceBound, inclusive: true, limit };
};

/**
 * GET /charges and GET /refunds. With `since`, `limit` and `cursor` they list oldest first: new
 * objects sort after the cursors already handed out (clock skew between instances aside), so a
 * reconciliation walk forward from `since` also picks up objects created while it runs. With
 * `idempotency_key` they answer the one object created under that key, or none (find-by-key.ts);
 * a key selects at most one object, so it takes none of the paging parameters.
 */
export const listObjects = async <T extends { readonly id: string }>(
  kind: ObjectKind<T['id']>,
  listing: Listing<T>,
  keys: KeyRecords,
  event: APIGatewayProxyEventV2,
): Promise<HttpResponse> => {
  const { idempotency_key: key, since, limit, cursor } = parseQuery(listParametersSchema, event);
  if (key !== undefined) {
    const paging = Object.entries({ since, limit, cursor }).find(([, value]) => value !== undefined);
    if (paging !== undefined) throw fieldProblem(paging[0], 'cannot be combined with idempotency_key, which selects at most one object');
    return findByKey(kind, listing, keys, key);
  }
  const page = await listing.list(rangeOf(kind, since, cursor, limit ?? defaultPageSize));
  return listResponse(page.objects, page.hasMore);
};
