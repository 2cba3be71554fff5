import { problemResponse } from '../http/problem.js';
import type { HttpResponse } from '../http/types.js';

/**
 * The middleware's RFC 9457 answers; each `type` ends in a slug clients can switch on. They are
 * returned, not thrown, so the middleware answers correctly in any Middy stack, with or without
 * an error-handling middleware.
 */
export const keyMissingResponse = (header: string): HttpResponse =>
  problemResponse({
    status: 400,
    slug: 'idempotency-key-missing',
    title: 'Idempotency-Key header required',
    detail: `This operation moves money: send a unique ${header} header (e.g. a UUID) and reuse it when you retry.`,
  });

export const keyInvalidResponse = (header: string, reason: string): HttpResponse =>
  problemResponse({
    status: 400,
    slug: 'idempotency-key-invalid',
    title: 'Idempotency-Key header invalid',
    detail: `The ${header} header is invalid: ${reason}. Use 1-255 printable ASCII characters, bare or as a quoted string.`,
  });

export const keyReusedResponse = (): HttpResponse =>
  problemResponse({
    status: 422,
    slug: 'idempotency-key-reused',
    title: 'Idempotency-Key reused with a different request',
    detail: 'This key was first used with a different method, route or body. Use a new key for a new request.',
  });

export const keyInUseResponse = (retryAfterSeconds: number): HttpResponse =>
  problemResponse({
    status: 409,
    slug: 'idempotency-key-in-use',
    title: 'A request with this Idempotency-Key is in progress',
    detail: 'The first request with this key has not finished yet. Retry after the indicated time to get its result.',
    headers: { 'Retry-After': String(retryAfterSeconds) },
  });

export const recordTooLargeResponse = (detail: string): HttpResponse =>
  problemResponse({
    status: 500,
    slug: 'idempotency-record-too-large',
    title: 'Response too large to store for replay',
    detail: `${detail} Nothing was committed and the key is free again.`,
  });
