import type { RetrysafeResult } from './call.js';

/** A page of a list route: `starting_after` the last id of one page fetches the next. */
export interface ListPage<T extends { id: string }> {
  readonly data: readonly T[];
  readonly has_more: boolean;
}

/**
 * Every object of a list, fetching page after page with `starting_after` while `has_more`; each
 * page is one call, retried on its own. Stops early when the loop breaks.
 */
export async function* autoPage<T extends { id: string }>(
  fetchPage: (startingAfter: string | undefined) => Promise<RetrysafeResult<ListPage<T>>>,
  startingAfter?: string,
): AsyncGenerator<T, void, undefined> {
  let cursor = startingAfter;
  for (;;) {
    const { data: page } = await fetchPage(cursor);
    yield* page.data;
    const last = page.data.at(-1);
    if (!page.has_more || last === undefined) return;
    cursor = last.id;
  }
}
