import { LruMap } from '@retrysafe/idempotency';
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
 */
export const bucketMemory = (maxEntries: number): LruMap<string, RememberedBucket> => new LruMap(maxEntries);
