import { type ProblemSlug, problemHeaders, problemType, problemTypeBase } from './problem-types.js';
import { type HttpResponse, jsonResponse } from './types.js';

/** One occurrence of a problem type from the catalogue (problem-types.ts). */
export interface Problem {
  readonly status: number;
  readonly slug: ProblemSlug;
  readonly title: string;
  readonly detail: string;
  /** Extension members (RFC 9457 §3.2), e.g. the offending field or a decline code. */
  readonly extensions?: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;
}

/** What makes one occurrence specific; everything else comes from the catalogue. */
export interface Occurrence {
  readonly detail?: string;
  readonly extensions?: Readonly<Record<string, unknown>>;
  readonly headers?: Readonly<Record<string, string>>;
}

export const problem = (slug: ProblemSlug, occurrence: Occurrence = {}): Problem => {
  const type = problemType(slug);
  return {
    slug,
    status: type.status,
    title: type.title,
    detail: occurrence.detail ?? type.detail,
    ...(occurrence.extensions === undefined ? {} : { extensions: occurrence.extensions }),
    headers: { ...problemHeaders(slug), ...occurrence.headers },
  };
};

export const problemResponse = (problem: Problem, instance?: string): HttpResponse =>
  jsonResponse(
    problem.status,
    {
      type: `${problemTypeBase}${problem.slug}`,
      title: problem.title,
      status: problem.status,
      detail: problem.detail,
      ...(instance === undefined ? {} : { instance }),
      ...problem.extensions,
    },
    { 'Content-Type': 'application/problem+json', ...problem.headers },
  );

/**
 * A problem thrown rather than returned: by middleware that rejects a request before the
 * handler runs, and by handlers deep in a call chain. Error handlers answer it as it is.
 */
export class ProblemError extends Error {
  readonly problem: Problem;

  constructor(slug: ProblemSlug, occurrence: Occurrence = {}) {
    const thrown = problem(slug, occurrence);
    super(thrown.detail);
    this.name = 'ProblemError';
    this.problem = thrown;
  }
}

/**
 * The answer a thrown problem stands for, for the idempotency middleware's `thrownOutcome`: it
 * stores one below 500 like a returned answer. Anything else thrown stands for none.
 */
export const answerOfThrown = (error: unknown, instance?: string): HttpResponse | undefined =>
  error instanceof ProblemError ? problemResponse(error.problem, instance) : undefined;
