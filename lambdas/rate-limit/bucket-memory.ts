import type { BucketPolicy, BucketState, BucketTiming } from './gcra.js';

/** The last state this instance saw for a bucket, and the limit it was under. */
export interface RememberedBucket {
  readonly state: BucketState;
  readonly timing: BucketTiming;
  readonly policy: BucketPolicy;
}

/**
 * Per warm instance: the last bucket state each key returned. TAT only ever moves forward,
 * so a remembered state is a lower bound on the real one; that makes it a safe guess of the
 * branch to try, and a remembered over-limit gate a certain rejection until it passes.
 * Bounded, forgetting the least recently written key first, so a tenant flood cannot grow it.
 */
export class BucketMemory {
  private readonly entries = new Map<string, RememberedBucket>();

  constructor(private readonly maxEntries: number) {}

  get(key: string): RememberedBucket | undefined {
    return this.entries.get(key);
  }

  remember(key: string, bucket: RememberedBucket): void {
    this.entries.delete(key);
    this.entries.set(key, bucket);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
  }
}
