import type { StoredResponse } from '@retrysafe/idempotency';
import type { ObjectIds } from './object-ids.js';

/**
 * The id of the object a key's stored answer created: the charge of a 201 or 402, the refund of
 * a 201. Refusals (a problem body, which has no id) created nothing.
 */
export const createdId = <Id extends string>(stored: StoredResponse, ids: ObjectIds<Id>): Id | undefined => {
  const { id } = JSON.parse(stored.body) as { readonly id?: unknown };
  return typeof id === 'string' ? ids.parse(id) : undefined;
};
