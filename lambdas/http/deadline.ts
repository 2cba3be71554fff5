import type { Context } from 'aws-lambda';
import { ProblemError, problemResponse } from './problem.js';
import type { HttpResponse } from './types.js';

/**
 * Kept back from the function's deadline after the request stops working: time for the
 * idempotency middleware to end its claim (one conditional write: a release, or a recovery
 * point's suspension) before the answer is due.
 */
export const cleanupReserveMs = 1_000;

/**
 * Kept back for handing the answer to Lambda: past the function's deadline Lambda kills the
 * invocation and API Gateway answers a bare 502, which a client cannot tell from a bug.
 */
export const answerReserveMs = 250;

/** What a request can be waiting on when its time runs out: the answer names it as the cause. */
export type OutOfTimeCause = 'service-unavailable' | 'processor-unavailable';

/** Starts a timer and returns what cancels it; tests pass one they fire by hand. */
export type Schedule = (delayMs: number, fire: () => void) => () => void;

/** Node fires a longer timeout at once (it overflows to 1 ms), so a longer delay means never. */
const longestTimeoutMs = 2 ** 31 - 1;

export const realTimers: Schedule = (delayMs, fire) => {
  if (delayMs > longestTimeoutMs) return () => undefined;
  const timer = setTimeout(fire, Math.max(0, delayMs));
  return () => {
    clearTimeout(timer);
  };
};

/**
 * One request's time, counted back from its function's deadline in two steps. At the work
 * deadline `signal` aborts: the request stops waiting on its work and answers 503, its claim
 * ended by the idempotency rules. At the answer deadline, whatever still pends (that cleanup
 * itself, or a DynamoDB call outside any claim) is answered 503 at once. Either way the answer
 * leaves before Lambda's timeout.
 */
export class RequestDeadline {
  private readonly controller = new AbortController();
  private readonly answerDue: Promise<void>;
  private readonly cancels: (() => void)[] = [];
  private cause: OutOfTimeCause = 'service-unavailable';

  constructor(remainingMs: number, schedule: Schedule) {
    this.cancels.push(
      schedule(remainingMs - answerReserveMs - cleanupReserveMs, () => {
        this.controller.abort(this.problem());
      }),
    );
    this.answerDue = new Promise((resolve) => {
      this.cancels.push(schedule(remainingMs - answerReserveMs, resolve));
    });
  }

  /** Aborts at the work deadline, with the ProblemError to answer as its reason. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /**
   * Runs `wait` as what the request waits on, so that running out of time meanwhile names
   * `cause`. Once the work deadline has passed, nothing new starts.
   */
  async waitOn<T>(cause: OutOfTimeCause, wait: (signal: AbortSignal) => Promise<T>): Promise<T> {
    this.signal.throwIfAborted();
    this.cause = cause;
    try {
      return await wait(this.signal);
    } finally {
      this.cause = 'service-unavailable';
    }
  }

  /** Settles with `work`, or rejects with the out-of-time problem at the work deadline. */
  race<T>(work: Promise<T>): Promise<T> {
    const { signal } = this;
    const outOfTime = new Promise<never>((_, reject) => {
      if (signal.aborted) reject(signal.reason as Error);
      signal.addEventListener('abort', () => {
        reject(signal.reason as Error);
      });
    });
    return Promise.race([work, outOfTime]);
  }

  /** Settles with `answer`, or with the out-of-time answer at the answer deadline. */
  answerBy(answer: Promise<HttpResponse>, requestId: string): Promise<HttpResponse> {
    return Promise.race([answer, this.answerDue.then(() => this.problem().response(requestId))]);
  }

  cancel(): void {
    for (const cancel of this.cancels) cancel();
  }

  private problem(): OutOfTimeProblem {
    return new OutOfTimeProblem(this.cause);
  }
}

/** The 503 of a request that ran out of time: retryable with the same key, whatever it was doing. */
export class OutOfTimeProblem extends ProblemError {
  constructor(cause: OutOfTimeCause) {
    super(cause, {
      detail:
        cause === 'processor-unavailable'
          ? 'The card processor did not answer in time. Retry with the same Idempotency-Key: it will never charge twice.'
          : 'The request ran out of time under load. Retry with the same Idempotency-Key.',
    });
    this.name = 'OutOfTimeProblem';
  }

  response(requestId: string): HttpResponse {
    return problemResponse(this.problem, requestId);
  }
}

/** The deadline a Lambda context gives; a context without a clock (some tests) never runs out. */
export const deadlineOf = (context: Context, schedule: Schedule): RequestDeadline =>
  new RequestDeadline(
    typeof context.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : Number.POSITIVE_INFINITY,
    schedule,
  );
