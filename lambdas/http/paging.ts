import { z } from 'zod';
import { jsonResponse, type HttpResponse } from './types.js';
import { pageLimitParameter } from './validation.js';

/**
 * How every list route pages, as Stripe's do: `limit` objects, newest first, and `starting_after`
 * the id of the previous page's last object; `has_more` says whether another page exists. An id
 * rather than an opaque cursor: every listed object's id fixes its place in its partition, so a
 * client resumes from the last object it processed, even after an outage of days.
 */
export const defaultPageLimit = 10;
export const maxPageLimit = 100;

/**
 * The query members of a list route: `starting_after` is parsed by `parsePosition` (the id of the
 * listed kind, narrowed to what the store seeks from) and rejected with a 400 naming the field.
 */
export const pageQuery = <TPosition>(listed: string, parsePosition: (raw: string) => TPosition | undefined) => ({
  limit: pageLimitParameter(maxPageLimit).default(defaultPageLimit),
  starting_after: z
    .string()
    .transform((raw, context) => {
      const position = parsePosition(raw);
      if (position === undefined) context.addIssue({ code: 'custom', message: `must be the id of a ${listed}` });
      return position as TPosition;
    })
    .optional()
    .meta({ description: `The id of the last ${listed} of the previous page: this page starts after it.` }),
});

/** One page of a list route. */
export const listResponse = (url: string, data: readonly unknown[], hasMore: boolean): HttpResponse =>
  jsonResponse(200, { object: 'list', url, data, has_more: hasMore });
