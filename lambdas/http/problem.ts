import { type HttpResponse, jsonResponse } from './types.js';

/**
 * RFC 9457 problem details. Every error Retrysafe answers is one of these, with a `type` URI
 * ending in a stable slug that clients can switch on.
 */
export const problemTypeBase = 'https://retrysafe.dev/problems/';

export type ProblemSlug =
  | 'validation-error'
  | 'payload-too-large'
  | 'unsupported-media-type'
  | 'unauthorized'
  | 'not-found'
  | 'method-not-allowed'
  | 'rate-limited'
  | 'idempotency-key-missing'
  | 'idempotency-key-invalid'
  | 'idempotency-key-reused'
  | 'idempotency-key-in-use'
  | 'idempotency-record-too-large'
  | 'card-declined'
  | 'processor-unavailable'
  | 'amount-too-large'
  | 'charge-not-refundable'
  | 'service-unavailable'
  | 'webhook-url-invalid'
  | 'internal-error';

export interface Problem {
  readonly status: number;
  readonly slug: ProblemSlug;
  readonly title: string;
  readonly detail?: string;
  /** Extension members (RFC 9457 §3.2), e.g. the offending field or a decline code. */
  readonly extensions?: Record<string, unknown>;
  readonly headers?: Record<string, string>;
}

export const problemResponse = (problem: Problem, instance?: string): HttpResponse =>
  jsonResponse(
    problem.status,
    {
      type: `${problemTypeBase}${problem.slug}`,
      title: problem.title,
      status: problem.status,
      ...(problem.detail === undefined ? {} : { detail: problem.detail }),
      ...(instance === undefined ? {} : { instance }),
      ...problem.extensions,
    },
    { 'Content-Type': 'application/problem+json', ...problem.headers },
  );

/** Thrown by middleware that rejects a request before the handler runs. */
export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
    this.name = 'ProblemError';
  }
}
