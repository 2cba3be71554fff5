import type { MiddlewareObj } from '@middy/core';
import { createLogger } from '../shared/logger.js';
import { type Problem, problem, ProblemError, problemResponse } from './problem.js';
import type { HttpResponse } from './types.js';

const logger = createLogger('http');

/** AWS errors that mean "try again shortly" rather than "this request is wrong". */
const transientAwsErrors = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TransactionInProgressException',
]);

const isTransient = (error: unknown): boolean => {
  if (!(error instanceof Error)) return false;
  if (transientAwsErrors.has(error.name)) return true;
  // Transactions still conflicting after the store's retries: nothing was written, try again.
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
  if (error.name === 'TransactionCanceledException' && reasons?.some((reason) => reason.Code === 'TransactionConflict') === true)
    return true;
  const code = (error as { code?: unknown }).code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT';
};

/** The problem a thrown error stands for: its own when it is one, 503 when it is transient, 500 otherwise. */
export const problemForError = (error: unknown): Problem => {
  if (error instanceof ProblemError) return error.problem;
  if (isTransient(error)) {
    logger.warn('Transient dependency failure', { error });
    return problem('service-unavailable');
  }
  logger.error('Unhandled error', { error });
  return problem('internal-error');
};

/**
 * Turns anything thrown into an RFC 9457 response. Expected rejections arrive as ProblemError;
 * transient AWS trouble becomes a 503 the client may retry; anything else is a bug, logged with
 * its stack but answered without one. A middleware that already answered the error (the
 * idempotency middleware storing a thrown 4xx) keeps its answer, as Middy's http-error-handler does.
 */
export const errorResponses = (): MiddlewareObj<unknown, HttpResponse> => ({
  onError: (request) => {
    // Middy resets the response to undefined before onError, though its types say null.
    if ((request.response as HttpResponse | null | undefined) != null) return;
    request.response = problemResponse(problemForError(request.error), request.context.awsRequestId);
  },
});
