import { describe, expect, it } from 'vitest';
import { problem, problemResponse } from '../../lambdas/http/problem.js';
import { problemTypes, shouldRetryHeader, type ProblemSlug } from '../../lambdas/http/problem-types.js';
import { edgeHeaders } from '../../lib/problem-document.js';

const slugs = Object.keys(problemTypes) as ProblemSlug[];

describe('Retrysafe-Should-Retry', () => {
  it('tells a client to retry exactly the answers a retry with the same key may change', () => {
    const retryable = slugs.filter((slug) => problemTypes[slug].retryable).sort();
    expect(retryable).toEqual(
      [
        'idempotency-key-in-use',
        'internal-error',
        'processor-unavailable',
        'rate-limited',
        'request-timeout',
        'service-unavailable',
      ].sort(),
    );
  });

  it('is on every problem answer, from a handler or from the edge', () => {
    for (const slug of slugs) {
      const expected = String(problemTypes[slug].retryable);
      expect(problemResponse(problem(slug)).headers[shouldRetryHeader]).toBe(expected);
      expect(edgeHeaders({ slug })[shouldRetryHeader]).toBe(expected);
    }
  });

  it('is not lost when an occurrence brings its own headers', () => {
    const answer = problemResponse(problem('idempotency-key-in-use', { headers: { 'Retry-After': '3' } }));
    expect(answer.headers).toMatchObject({ 'Retry-After': '3', [shouldRetryHeader]: 'true' });
  });
});
