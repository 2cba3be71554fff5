import { type ProblemSlug, problemHeaders, problemType, problemTypeBase } from '../lambdas/http/problem-types.js';

/** A problem the edge (API Gateway, WAF) answers before any handler runs. */
export interface EdgeProblem {
  readonly slug: ProblemSlug;
  /** Absent: the gateway's own error message becomes the detail. */
  readonly detail?: string;
  /** One response serving several status codes (DEFAULT_4XX/5XX) omits `status`, which RFC 9457 makes advisory. */
  readonly statusVaries?: true;
}

/**
 * The RFC 9457 members of an edge problem, from the same catalogue the handlers use, so clients
 * switch on one vocabulary whoever answered.
 */
export const problemMembers = (problem: EdgeProblem): Record<string, string | number> => {
  const type = problemType(problem.slug);
  return {
    type: `${problemTypeBase}${problem.slug}`,
    title: type.title,
    ...(problem.statusVaries === true ? {} : { status: type.status }),
    ...(problem.detail === undefined ? {} : { detail: problem.detail }),
  };
};

/** The status code an edge problem is sent with, unless the gateway keeps its own. */
export const edgeStatus = (problem: EdgeProblem): number | undefined =>
  problem.statusVaries === true ? undefined : problemType(problem.slug).status;

/** The headers the catalogue gives every occurrence of the problem's type (Retry-After on a 429, Retrysafe-Should-Retry). */
export const edgeHeaders = (problem: EdgeProblem): Readonly<Record<string, string>> => problemHeaders(problem.slug);
