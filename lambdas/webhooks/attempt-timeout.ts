import { functions } from '../topology.js';

/**
 * An attempt must end well inside the dispatcher's own timeout, or Lambda kills it mid-request
 * and the lease, not the response, decides what happens next.
 */
export const maxAttemptTimeoutMs = (functions.webhookDispatcher.timeoutSeconds - 10) * 1000;

/** The timeout of one webhook attempt, connect to last byte, if the dispatcher can honour it. */
export const validAttemptTimeoutMs = (timeoutMs: number): number => {
  if (timeoutMs < 1 || timeoutMs > maxAttemptTimeoutMs) {
    throw new Error(`WEBHOOK_TIMEOUT_MS must be between 1 and ${maxAttemptTimeoutMs}, got ${timeoutMs}`);
  }
  return timeoutMs;
};
