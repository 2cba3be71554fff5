import {
  type CallContext,
  RetrysafeAbortError,
  RetrysafeConnectionError,
  RetrysafeProblemError,
  RetrysafeRetriesExhaustedError,
} from './errors.js';
import { newIdempotencyKey } from './keys.js';
import { type Problem, problemFrom, slugOf } from './problems.js';
import { parseRateLimit, type RateLimitState } from './rate-limit.js';
import { type AttemptOutcome, fullJitterDelayMs, parseRetryAfterMs, type RetryOptions, type RetryPolicy, shouldRetry } from './retry.js';

/** Options every call takes. */
export interface CallOptions {
  /** Cancels the attempt in flight and any backoff sleep; the call rejects with RetrysafeAbortError. */
  readonly signal?: AbortSignal;
  /** Overrides the client's retry options for this call. */
  readonly retry?: RetryOptions;
}

/** Options of a call that creates something (a POST): all of them carry an Idempotency-Key. */
export interface CreateOptions extends CallOptions {
  /**
   * The key of this logical operation. Without one the client makes a random one before the
   * first attempt; pass your own (see deterministicKey) to let a later process retry the same
   * operation, e.g. after a crash.
   */
  readonly idempotencyKey?: string;
}

/** A successful call. */
export interface RetrysafeResult<T> {
  readonly data: T;
  readonly status: number;
  /** True when the server answered with the stored result of an earlier attempt with this key (Idempotent-Replayed). */
  readonly replayed: boolean;
  /** The key every attempt carried; undefined for GET and DELETE. */
  readonly idempotencyKey: string | undefined;
  readonly attempts: number;
  readonly rateLimit: RateLimitState | undefined;
  readonly headers: Headers;
}

/** Waits `ms`, or rejects as soon as `signal` aborts. */
export type Sleep = (ms: number, signal: AbortSignal | undefined) => Promise<void>;

/** What calls share: injectable so tests decide every random draw and sleep. */
export interface Runtime {
  readonly retry: RetryPolicy;
  readonly random: () => number;
  readonly sleep: Sleep;
  readonly now: () => number;
}

export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** What a keyed attempt hands to openapi-fetch (a type, not an interface, so it spreads into openapi-fetch's init). */
export type KeyedInit = {
  readonly signal: AbortSignal;
  readonly params: { readonly header: { readonly 'Idempotency-Key': string } };
  /** Returns the body serialized once, before the first attempt, so every retry sends the same bytes. */
  readonly bodySerializer: () => string;
};

/** The shape of an openapi-fetch answer. */
export interface AttemptResponse<T> {
  readonly data?: T;
  readonly error?: unknown;
  readonly response: Response;
}

export type Attempt<T> = (signal: AbortSignal) => Promise<AttemptResponse<T>>;

type Failure = {
  readonly error: RetrysafeProblemError | RetrysafeConnectionError;
  readonly outcome: AttemptOutcome;
  readonly waitMs: number;
};

/** A function, so a check after an await is not narrowed away by one before it. */
const isAborted = (signal: AbortSignal | undefined): boolean => signal?.aborted === true;

class AttemptTimeout extends Error {
  override readonly name = 'AttemptTimeout';
}

/** One attempt under its own timeout, linked to the caller's signal. */
const attemptOnce = async <T>(
  attempt: Attempt<T>,
  context: CallContext,
  runtime: Runtime,
  policy: RetryPolicy,
  signal: AbortSignal | undefined,
): Promise<RetrysafeResult<T> | Failure> => {
  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort(new AttemptTimeout(`No answer within ${policy.attemptTimeoutMs} ms`));
  }, policy.attemptTimeoutMs);
  const onAbort = () => {
    controller.abort(signal?.reason);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const { data, error, response } = await attempt(controller.signal);
    const rateLimit = parseRateLimit(response.headers);
    if (response.ok) {
      return {
        data: data as T,
        status: response.status,
        replayed: response.headers.get('Idempotent-Replayed') === 'true',
        ...context,
        rateLimit,
        headers: response.headers,
      };
    }
    const problem = problemFrom(response.status, error);
    const slug = slugOf(problem.type);
    return {
      // The body is taken at its type's word, as openapi-fetch takes a success body at its schema's.
      error: new RetrysafeProblemError(slug, problem as Problem, { ...context, rateLimit }),
      outcome: { kind: 'problem', status: response.status, slug, shouldRetryHeader: response.headers.get('Retrysafe-Should-Retry') },
      waitMs: parseRetryAfterMs(response.headers.get('Retry-After'), runtime.now()) ?? 0,
    };
  } catch (cause) {
    if (isAborted(signal)) throw new RetrysafeAbortError(context, signal?.reason);
    const reason = controller.signal.reason instanceof AttemptTimeout ? 'timeout' : 'network';
    return { error: new RetrysafeConnectionError(reason, context, cause), outcome: { kind: reason }, waitMs: 0 };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
};

const isFailure = <T>(value: RetrysafeResult<T> | Failure): value is Failure => 'error' in value;

/**
 * Runs one logical operation: attempts until one succeeds, one fails in a way a retry cannot
 * change, or the time budget is spent.
 */
export const call = async <T>(
  runtime: Runtime,
  idempotencyKey: string | undefined,
  options: CallOptions,
  attempt: Attempt<T>,
): Promise<RetrysafeResult<T>> => {
  const policy: RetryPolicy = { ...runtime.retry, ...options.retry };
  const { signal } = options;
  const started = runtime.now();
  for (let attempts = 1; ; attempts += 1) {
    const context = { idempotencyKey, attempts };
    if (isAborted(signal)) throw new RetrysafeAbortError(context, signal?.reason);
    const outcome = await attemptOnce(attempt, context, runtime, policy, signal);
    if (!isFailure(outcome)) return outcome;
    if (!shouldRetry(outcome.outcome)) throw outcome.error;
    // Retry-After is a floor: the server has said when an earlier retry would be refused again.
    const delayMs = Math.max(fullJitterDelayMs(attempts - 1, policy, runtime.random), outcome.waitMs);
    if (runtime.now() + delayMs - started > policy.maxElapsedMs) throw new RetrysafeRetriesExhaustedError(outcome.error);
    try {
      await runtime.sleep(delayMs, signal);
    } catch (error) {
      if (isAborted(signal)) throw new RetrysafeAbortError(context, signal?.reason);
      throw error;
    }
  }
};

/**
 * A call that creates something (a POST). Its Idempotency-Key is fixed and its body serialized
 * before the first attempt, and every attempt sends both unchanged: that is what makes retrying
 * a charge safe, and what lets the server replay the first attempt's answer.
 */
export const callKeyed = <T>(
  runtime: Runtime,
  body: unknown,
  options: CreateOptions,
  attempt: (init: KeyedInit) => Promise<AttemptResponse<T>>,
): Promise<RetrysafeResult<T>> => {
  const idempotencyKey = options.idempotencyKey ?? newIdempotencyKey();
  const serialized = JSON.stringify(body);
  const params = { header: { 'Idempotency-Key': idempotencyKey } };
  return call(runtime, idempotencyKey, options, (signal) => attempt({ signal, params, bodySerializer: () => serialized }));
};
