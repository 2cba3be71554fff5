import { boolEnv, intEnv } from '../shared/env.js';
import { functions } from '../topology.js';
import { type RetrySchedule, retryScheduleFromEnv } from './retry-policy.js';

export interface WebhookSettings {
  /** WEBHOOK_ALLOW_LOOPBACK: loopback destinations (and http to them), for the local stack only. */
  readonly allowLoopback: boolean;
  /** WEBHOOK_TIMEOUT_MS: one attempt, connect to last byte. */
  readonly timeoutMs: number;
  /** WEBHOOK_RETRY_SCHEDULE, see retry-policy.ts. */
  readonly schedule: RetrySchedule;
}

export const defaultTimeoutMs = 10_000;

/**
 * An attempt must end well inside the dispatcher's own timeout, or Lambda kills it mid-request
 * and the lease, not the response, decides what happens next.
 */
const maxTimeoutMs = (functions.webhookDispatcher.timeoutSeconds - 10) * 1000;

export const allowLoopbackSetting = (): boolean => boolEnv('WEBHOOK_ALLOW_LOOPBACK', false);

/** Read at call time, like every setting, so one process can host several configurations. */
export const webhookSettings = (): WebhookSettings => {
  const timeoutMs = intEnv('WEBHOOK_TIMEOUT_MS', defaultTimeoutMs);
  if (timeoutMs < 1 || timeoutMs > maxTimeoutMs) {
    throw new Error(`WEBHOOK_TIMEOUT_MS must be between 1 and ${maxTimeoutMs}, got ${timeoutMs}`);
  }
  return { allowLoopback: allowLoopbackSetting(), timeoutMs, schedule: retryScheduleFromEnv() };
};
