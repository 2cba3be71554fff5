import type { Problem, ProblemSlug } from './problems.js';
import type { RateLimitState } from './rate-limit.js';

/** What every error of this client says about the call that failed. */
export interface CallContext {
  /** The key every attempt carried; undefined for GET and DELETE. Reuse it to retry the operation later. */
  readonly idempotencyKey: string | undefined;
  readonly attempts: number;
}

/** Base class: `instanceof RetrysafeError` catches everything this client throws on purpose. */
export abstract class RetrysafeError extends Error {
  readonly idempotencyKey: string | undefined;
  readonly attempts: number;

  protected constructor(message: string, context: CallContext, options?: ErrorOptions) {
    super(message, options);
    this.idempotencyKey = context.idempotencyKey;
    this.attempts = context.attempts;
  }
}

/**
 * The API answered with an RFC 9457 problem that retrying cannot change (a decline, a
 * validation error, a reused key). `slug` discriminates: narrow with {@link isProblem} to read
 * a type's extensions, e.g. `decline_code` and `charge` of `card-declined`.
 */
export class RetrysafeProblemError<S extends ProblemSlug = ProblemSlug> extends RetrysafeError {
  override readonly name = 'RetrysafeProblemError';
  readonly slug: S;
  readonly status: number;
  readonly problem: Problem<S>;
  readonly rateLimit: RateLimitState | undefined;

  constructor(slug: S, problem: Problem<S>, context: CallContext & { readonly rateLimit: RateLimitState | undefined }) {
    super(`${problem.title}${problem.detail === undefined ? '' : `: ${problem.detail}`} (${slug}, HTTP ${problem.status})`, context);
    this.slug = slug;
    this.status = problem.status;
    this.problem = problem;
    this.rateLimit = context.rateLimit;
  }
}

export const isProblem = <S extends ProblemSlug>(error: unknown, slug: S): error is RetrysafeProblemError<S> =>
  error instanceof RetrysafeProblemError && error.slug === slug;

/** One attempt got no answer: the connection failed, or the attempt timed out. The request may or may not have arrived. */
export class RetrysafeConnectionError extends RetrysafeError {
  override readonly name = 'RetrysafeConnectionError';
  readonly reason: 'network' | 'timeout';

  constructor(reason: 'network' | 'timeout', context: CallContext, cause: unknown) {
    super(reason === 'timeout' ? 'The attempt timed out' : 'The connection failed', context, { cause });
    this.reason = reason;
  }
}

/**
 * Every attempt failed in a way a retry could have fixed, and the time budget ran out. For a
 * POST the operation may have happened: retry later with the same `idempotencyKey`, or ask
 * with `idempotencyKeys.retrieve`, never POST again with a new key.
 */
export class RetrysafeRetriesExhaustedError extends RetrysafeError {
  override readonly name = 'RetrysafeRetriesExhaustedError';
  readonly lastError: RetrysafeProblemError | RetrysafeConnectionError;

  constructor(lastError: RetrysafeProblemError | RetrysafeConnectionError) {
    super(`Gave up after ${lastError.attempts} attempts: ${lastError.message}`, lastError, { cause: lastError });
    this.lastError = lastError;
  }
}

/** The caller's AbortSignal fired, during an attempt or a backoff sleep. For a POST the operation may have happened. */
export class RetrysafeAbortError extends RetrysafeError {
  override readonly name = 'RetrysafeAbortError';

  constructor(context: CallContext, reason: unknown) {
    super('The call was aborted', context, { cause: reason });
  }
}
