import type { MiddlewareObj } from '@middy/core';
import { createLogger } from '../shared/logger.js';
import { ProblemError, problemResponse } from './problem.js';
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

/**
 * Turns anything thrown into an RFC 9457 response. Expected rejections arrive as ProblemError;
 * transient AWS trouble becomes a 503 the client may retry; anything else is a bug, logged with
 * its stack but answered without one.
 */
export const errorResponses = (): MiddlewareObj<unknown, HttpResponse> => ({
  onError: (request) => {
    const { error } = request;
    const instance = request.context.awsRequestId as string | undefined;
    if (error instanceof ProblemError) {
      request.response = problemResponse(error.problem, instance);
      return;
    }
    if (isTransient(error)) {
      logger.warn('Transient dependency failure', { error });
      request.response = problemResponse(
        {
          status: 503,
          slug: 'service-unavailable',
          title: 'Service temporarily unavailable',
          detail: 'A dependency is temporarily unavailable; retry with the same Idempotency-Key.',
          headers: { 'Retry-After': '1' },
        },
        instance,
      );
      return;
    }
    logger.error('Unhandled error', { error });
    request.response = problemResponse(
      {
        status: 500,
        slug: 'internal-error',
        title: 'Internal error',
        detail: 'An unexpected error occurred; it has been logged. Retrying with the same Idempotency-Key is safe.',
      },
      instance,
    );
  },
});
