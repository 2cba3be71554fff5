import type { IdempotencyProblem, ProblemAnswers } from '@retrysafe/idempotency';
import { problem, problemResponse } from './problem.js';
import type { HttpResponse } from './types.js';

/**
 * Retrysafe's answers for the idempotency engine's problems: its catalogue's types and titles
 * (problem-types.ts), the Retrysafe-Should-Retry header, and texts for an API that moves money.
 * They are returned, not thrown, so the middleware answers correctly in any Middy stack.
 */
export const retrysafeIdempotencyAnswers: ProblemAnswers = (occurrence: IdempotencyProblem): HttpResponse => {
  switch (occurrence.kind) {
    case 'key-missing':
      return problemResponse(
        problem('idempotency-key-missing', {
          detail: `This operation moves money: send a unique ${occurrence.header} header (e.g. a UUID) and reuse it when you retry.`,
        }),
      );
    case 'key-invalid':
      return problemResponse(
        problem('idempotency-key-invalid', {
          detail: `The ${occurrence.header} header is invalid: ${occurrence.reason}. Use 1-255 printable ASCII characters, bare or as a quoted string.`,
        }),
      );
    case 'key-reused':
      return problemResponse(problem('idempotency-key-reused'));
    case 'key-in-use':
      return problemResponse(problem('idempotency-key-in-use', { headers: { 'Retry-After': String(occurrence.retryAfterSeconds) } }));
    case 'record-too-large':
      return problemResponse(
        problem('idempotency-record-too-large', {
          detail: `The response is ${occurrence.encodedBytes} bytes even compressed; idempotency records hold at most ${occurrence.maxBytes}. Nothing was committed and the key is free again.`,
        }),
      );
  }
};
