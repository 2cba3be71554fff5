import { type HttpResponse, jsonResponse } from '../http/types.js';

/** The list envelope every listing and lookup answers with, Stripe's plus a cursor to continue from. */
export const listResponse = (objects: readonly { readonly id: string }[], hasMore: boolean): HttpResponse => {
  const last = objects.at(-1);
  return jsonResponse(200, {
    object: 'list',
    data: objects,
    has_more: hasMore,
    next_cursor: hasMore && last !== undefined ? last.id : null,
  });
};
