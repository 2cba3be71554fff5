import type Stripe from 'stripe';
import type { ProcessorListCursor, ProcessorListQuery } from './card-processor.js';

/**
 * Stripe lists newest first, and pages towards older objects with `starting_after`; the
 * reconciler walks oldest first. So a walk pages towards newer objects with `ending_before`,
 * each page reversed, starting just after an anchor: the newest object older than `since`.
 */

export interface ListParams {
  readonly created?: Stripe.RangeQueryParam;
  readonly limit: number;
  readonly starting_after?: string;
  readonly ending_before?: string;
}

export type ListCall<T> = (params: ListParams) => Promise<Stripe.ApiList<T>>;

export interface OldestFirstPage<T> {
  readonly objects: readonly T[];
  readonly nextCursor: ProcessorListCursor | undefined;
}

const seconds = (ms: number): number => Math.floor(ms / 1000);

const newerThan = async <T extends { readonly id: string }>(
  list: ListCall<T>,
  params: ListParams,
  anchor: string,
): Promise<OldestFirstPage<T>> => {
  const page = await list({ ...params, ending_before: anchor });
  // Newest first, so the first object is where the next page starts.
  const newest = page.data[0];
  return {
    objects: [...page.data].reverse(),
    nextCursor: page.has_more && newest !== undefined ? (newest.id as ProcessorListCursor) : undefined,
  };
};

/**
 * Nothing is older than `since` (or there is no `since`): the oldest page is the end of the
 * whole newest-first listing, walked once. It happens once in a reconciler's life, on its first
 * run against a new account.
 */
const oldestPage = async <T extends { readonly id: string }>(list: ListCall<T>, params: ListParams): Promise<OldestFirstPage<T>> => {
  let page = await list(params);
  let pages = 1;
  while (page.has_more) {
    const last = page.data.at(-1);
    if (last === undefined) break;
    page = await list({ ...params, starting_after: last.id });
    pages++;
  }
  const newest = page.data[0];
  return {
    objects: [...page.data].reverse(),
    nextCursor: pages > 1 && newest !== undefined ? (newest.id as ProcessorListCursor) : undefined,
  };
};

export const pageOldestFirst = async <T extends { readonly id: string }>(
  list: ListCall<T>,
  { since, cursor, limit }: ProcessorListQuery,
): Promise<OldestFirstPage<T>> => {
  const params: ListParams = { limit, ...(since === undefined ? {} : { created: { gte: seconds(since) } }) };
  if (cursor !== undefined) return newerThan(list, params, cursor);
  const anchor = since === undefined ? undefined : (await list({ created: { lt: seconds(since) }, limit: 1 })).data[0];
  return anchor === undefined ? oldestPage(list, params) : newerThan(list, params, anchor.id);
};

/**
 * The first object of the last `withinMs` for which `matches` holds, newest first, reading at
 * most `maxPages` pages: `undefined` when none, `exhausted` when the window holds more than the
 * budget, so that a search that gave up is never mistaken for an absence.
 */
export const scanRecent = async <T extends { readonly id: string }>(
  list: ListCall<T>,
  options: { readonly sinceMs: number; readonly maxPages: number; readonly matches: (object: T) => boolean },
): Promise<T | undefined | 'exhausted'> => {
  const params: ListParams = { created: { gte: seconds(options.sinceMs) }, limit: 100 };
  let startingAfter: string | undefined;
  for (let pages = 0; pages < options.maxPages; pages++) {
    const page = await list(startingAfter === undefined ? params : { ...params, starting_after: startingAfter });
    const found = page.data.find(options.matches);
    if (found !== undefined) return found;
    const last = page.data.at(-1);
    if (!page.has_more || last === undefined) return undefined;
    startingAfter = last.id;
  }
  return 'exhausted';
};
