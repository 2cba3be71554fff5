import { readSetting, type SettingValue } from '../settings.js';
import type { BucketPolicy } from './gcra.js';

/** What to do when the bucket table cannot be reached: admit (availability) or refuse (protection). */
export type FailMode = SettingValue<'RATE_LIMIT_FAIL_MODE'>;

export interface RateLimitSettings {
  readonly policy: BucketPolicy;
  readonly failMode: FailMode;
}

/** The limit RATE_LIMIT_PER_MINUTE, RATE_LIMIT_BURST and RATE_LIMIT_FAIL_MODE describe (lambdas/settings.ts). */
export const rateLimitSettingsFromEnv = (): RateLimitSettings => ({
  policy: { ratePerMinute: readSetting('RATE_LIMIT_PER_MINUTE'), burst: readSetting('RATE_LIMIT_BURST') },
  failMode: readSetting('RATE_LIMIT_FAIL_MODE'),
});
