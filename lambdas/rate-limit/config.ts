import { intEnv } from '../shared/env.js';
import { type BucketPolicy, validatePolicy } from './gcra.js';

/** What to do when the bucket table cannot be reached: admit (availability) or refuse (protection). */
export type FailMode = 'open' | 'closed';

export interface RateLimitSettings {
  readonly policy: BucketPolicy;
  readonly failMode: FailMode;
}

export const defaultRatePerMinute = 100;

const failModeFromEnv = (): FailMode => {
  const raw = process.env.RATE_LIMIT_FAIL_MODE;
  if (raw === undefined || raw === '' || raw === 'open') return 'open';
  if (raw === 'closed') return 'closed';
  throw new Error(`Environment variable RATE_LIMIT_FAIL_MODE must be "open" or "closed", got "${raw}"`);
};

/**
 * RATE_LIMIT_PER_MINUTE (default 100), RATE_LIMIT_BURST (bucket capacity, default the
 * per-minute figure, so an idle tenant may spend a whole minute's quota at once) and
 * RATE_LIMIT_FAIL_MODE (default open). A malformed value is a deploy error, raised when the
 * middleware is built rather than on the first request.
 */
export const rateLimitSettingsFromEnv = (): RateLimitSettings => {
  const ratePerMinute = intEnv('RATE_LIMIT_PER_MINUTE', defaultRatePerMinute);
  const burst = intEnv('RATE_LIMIT_BURST', ratePerMinute);
  return { policy: validatePolicy({ ratePerMinute, burst }), failMode: failModeFromEnv() };
};
