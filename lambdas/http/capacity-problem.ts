import type { ProblemSlug } from './problem-types.js';

/**
 * The answer to a request no function invocation could serve in time: Lambda throttled it (the
 * account's concurrency was spent) or the integration timed out. The deployed stack's
 * INTEGRATION_FAILURE and INTEGRATION_TIMEOUT gateway responses and the local API Gateway's
 * concurrency gate all answer it, so a client meets one problem whoever refused it.
 */
export const capacityProblem = {
  slug: 'service-unavailable',
  detail:
    'The API could not run this request in time. Retry after the indicated time with the same Idempotency-Key: it never charges twice.',
} as const satisfies { readonly slug: ProblemSlug; readonly detail: string };
