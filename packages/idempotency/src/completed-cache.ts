import { LruMap } from './lru-map.js';
import type { StoredResponse } from './stored-response.js';

/** What a replay needs of a COMPLETED record: which request it answered, the answer, its expiry. */
export interface CachedCompletion {
  readonly fingerprint: string;
  readonly response: StoredResponse;
  /** Epoch seconds, the record's TTL: past it the key counts as absent, cached or not. */
  readonly expiresAt: number;
}

/**
 * COMPLETED records this container has seen, so a warm replay costs no DynamoDB round trip.
 * Safe to serve from memory because a COMPLETED record never changes: only IN_PROGRESS claims
 * are released or taken over, and those are never cached. Bounded in entries, so a flood of
 * distinct keys cannot grow it.
 */
export class CompletedCache {
  private readonly entries: LruMap<string, CachedCompletion>;

  constructor(maxEntries: number) {
    this.entries = new LruMap(maxEntries);
  }

  get(recordId: string, nowMs: number): CachedCompletion | undefined {
    const entry = this.entries.get(recordId);
    if (entry === undefined || entry.expiresAt * 1000 > nowMs) return entry;
    this.entries.delete(recordId);
    return undefined;
  }

  remember(recordId: string, completion: CachedCompletion): void {
    this.entries.set(recordId, completion);
  }
}
