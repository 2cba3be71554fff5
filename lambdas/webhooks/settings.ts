import { readSetting } from '../settings.js';
import type { RetrySchedule } from './retry-policy.js';

export interface WebhookSettings {
  /** WEBHOOK_ALLOW_LOOPBACK: loopback destinations (and http to them), for the local stack only. */
  readonly allowLoopback: boolean;
  /** WEBHOOK_TIMEOUT_MS: one attempt, connect to last byte. */
  readonly timeoutMs: number;
  /** WEBHOOK_RETRY_SCHEDULE, see retry-policy.ts. */
  readonly schedule: RetrySchedule;
}

export const allowLoopbackSetting = (): boolean => readSetting('WEBHOOK_ALLOW_LOOPBACK');

/** The dispatcher's settings, as lambdas/settings.ts declares them. */
export const webhookSettings = (): WebhookSettings => ({
  allowLoopback: allowLoopbackSetting(),
  timeoutMs: readSetting('WEBHOOK_TIMEOUT_MS'),
  schedule: readSetting('WEBHOOK_RETRY_SCHEDULE'),
});
