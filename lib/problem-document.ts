import { type ProblemSlug, problemTypeBase } from '../lambdas/http/problem.js';

export interface EdgeProblem {
  readonly slug: ProblemSlug;
  readonly title: string;
  /** Omitted where one response serves several status codes; RFC 9457 makes `status` advisory. */
  readonly status?: number;
  readonly detail?: string;
}

/**
 * The RFC 9457 members of a problem the edge (API Gateway, WAF) answers before any handler
 * runs, with the same `type` URIs the handlers use, so clients switch on one vocabulary.
 */
export const problemMembers = (problem: EdgeProblem): Record<string, string | number> => ({
  type: `${problemTypeBase}${problem.slug}`,
  title: problem.title,
  ...(problem.status === undefined ? {} : { status: problem.status }),
  ...(problem.detail === undefined ? {} : { detail: problem.detail }),
});
