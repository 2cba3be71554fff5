import type { IdempotencyKey } from '@retrysafe/idempotency';

export interface NotifierClientOptions {
  /** The notifier's POST /notifications URL. */
  readonly url: string;
  readonly attempts?: number;
  readonly attemptTimeoutMs?: number;
  /** Waits between attempts; tests pass one that does not wait. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface Notification {
  readonly event_id: string;
  readonly charge_id: string;
  readonly amount: number;
  readonly currency: string;
}

export type Notify = (key: IdempotencyKey, notification: Notification) => Promise<void>;

/** Answers that another attempt with the same key may turn into a success. */
const retryable = (status: number): boolean => status === 408 || status === 409 || status === 429 || status >= 500;

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * POST /notifications, retried on a timeout, a dropped connection or a retryable answer, always
 * with the same Idempotency-Key: an attempt whose answer was lost may have acted, and the key is
 * what makes its retry replay that action instead of repeating it.
 */
export const notifierClient = (options: NotifierClientOptions): Notify => {
  const attempts = options.attempts ?? 3;
  const sleep = options.sleep ?? wait;
  return async (key, notification) => {
    let lastFailure = '';
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await sleep(100 * 2 ** attempt);
      try {
        const response = await fetch(options.url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key },
          body: JSON.stringify(notification),
          signal: AbortSignal.timeout(options.attemptTimeoutMs ?? 3_000),
        });
        await response.arrayBuffer();
        if (response.ok) return;
        lastFailure = `HTTP ${response.status}`;
        if (!retryable(response.status)) break;
      } catch (error) {
        lastFailure = (error as Error).message;
      }
    }
    throw new Error(`The notifier did not take notification ${key}: ${lastFailure}`);
  };
};
