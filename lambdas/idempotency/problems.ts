import { problem, problemResponse } from '../http/problem.js';
import type { HttpResponse } from '../http/types.js';

/**
 * The middleware's RFC 9457 answers. They are returned, not thrown, so the middleware answers
 * correctly in any Middy stack, with or without an error-handling middleware.
 */
export const keyMissingResponse = (header: string): HttpResponse =>
  problemResponse(
    problem('idempotency-key-missing', {
      detail: `This operation moves money: send a unique ${header} header (e.g. a UUID) and reuse it when you retry.`,
    }),
  );

export const keyInvalidResponse = (header: string, reason: string): HttpResponse =>
  problemResponse(
    problem('idempotency-key-invalid', {
      detail: `The ${header} header is invalid: ${reason}. Use 1-255 printable ASCII characters, bare or as a quoted string.`,
    }),
  );

export const keyReusedResponse = (): HttpResponse => problemResponse(problem('idempotency-key-reused'));

export const keyInUseResponse = (retryAfterSeconds: number): HttpResponse =>
  problemResponse(problem('idempotency-key-in-use', { headers: { 'Retry-After': String(retryAfterSeconds) } }));

export const recordTooLargeResponse = (detail: string): HttpResponse =>
  problemResponse(problem('idempotency-record-too-large', { detail: `${detail} Nothing was committed and the key is free again.` }));
