import type { IdempotencyKey } from '@retrysafe/idempotency';
import { problem, problemResponse } from '../http/problem.js';
import type { HttpResponse } from '../http/types.js';
import { createdId } from './created-object.js';
import type { KeyRecords } from './key-records.js';
import { listResponse } from './list-response.js';
import type { Listing } from './listing.js';
import type { ObjectKind } from './processor-table.js';

/**
 * The object created under a key, as it stands now (a charge's amount_refunded included), for a
 * caller that never learnt what its request came to. An empty list means nothing was created and
 * nothing will be: the key was never used, its request was refused, or it failed without moving
 * money and was released. While the request is still executing the answer is not known, so it
 * is 409 with Retry-After, never an empty list.
 */
export const findByKey = async <T extends { readonly id: string }>(
  kind: ObjectKind<T['id']>,
  listing: Listing<T>,
  keys: KeyRecords,
  key: IdempotencyKey,
): Promise<HttpResponse> => {
  const state = await keys.state(kind.keyScope, key);
  if (state.kind === 'in-progress') {
    return problemResponse(
      problem('idempotency-key-in-use', {
        detail: `The ${kind.noun} request under this key has not finished; ask again after Retry-After to learn what it created.`,
        headers: { 'Retry-After': String(state.retryAfterSeconds) },
      }),
    );
  }
  const id = state.kind === 'answered' ? createdId(state.response, kind.ids) : undefined;
  if (id === undefined) return listResponse([], false);
  const object = await listing.get(id);
  if (object === undefined) throw new Error(`Key ${key} answered with ${kind.noun} ${id}, which has no listing entry`);
  return listResponse([object], false);
};
