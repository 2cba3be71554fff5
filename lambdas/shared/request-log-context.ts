import { AsyncLocalStorage } from 'node:async_hooks';
import type { KeyHash } from './key-hash.js';

/**
 * What every log line written while serving one API request carries, so one charge can be
 * followed from API Gateway (its request id) through the processor (the downstream key) to the
 * webhook. Never the idempotency key itself: its hash.
 */
export interface RequestLogContext {
  /** The Lambda request id. */
  readonly requestId?: string;
  /** API Gateway's request id, as its access logs show it. */
  readonly apiRequestId?: string;
  readonly tenant?: string;
  readonly idempotencyKeyHash?: KeyHash;
  /** The key the processor receives: the processor's own logs and look-ups find the charge by it. */
  readonly downstreamKey?: string;
}

// Per asynchronous flow, not per process: the local API serves many requests in one process at once.
const storage = new AsyncLocalStorage<Record<string, string>>();

/** Runs `serve` with a log context of its own, starting from `initial`. */
export const withRequestLogContext = <T>(initial: RequestLogContext, serve: () => Promise<T>): Promise<T> =>
  storage.run(definedEntries(initial), serve);

/** Adds to the current request's log context as the request learns who it is for; outside one, a no-op. */
export const addRequestLogContext = (more: RequestLogContext): void => {
  const current = storage.getStore();
  if (current !== undefined) Object.assign(current, definedEntries(more));
};

export const currentRequestLogContext = (): Readonly<Record<string, string>> => storage.getStore() ?? {};

const definedEntries = (context: RequestLogContext): Record<string, string> =>
  Object.fromEntries(Object.entries(context).filter((entry): entry is [string, string] => entry[1] !== undefined));
