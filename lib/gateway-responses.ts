import { ResponseType, type RestApi } from 'aws-cdk-lib/aws-apigateway';
import { maxBodyBytes } from '../lambdas/http/json-body.js';
import { type EdgeProblem, problemMembers } from './problem-document.js';

interface GatewayProblem {
  readonly responseType: ResponseType;
  readonly problem: EdgeProblem;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * API Gateway's own error answers, rewritten as RFC 9457 problems. Without these a client
 * would get `{"message": ...}` JSON from the gateway but problem+json from every handler.
 *
 * - An unknown route (or a known path with an unrouted method) is MISSING_AUTHENTICATION_TOKEN,
 *   a 403 by default; it becomes the 404 not-found the local stack answers.
 * - Stage throttling is THROTTLED (429); WAF's rate rule answers 429 itself.
 * - REQUEST_TOO_LARGE is API Gateway's 10 MB limit; WAF refuses anything over 64 KiB first,
 *   so this only shows if WAF is detached.
 * - DEFAULT_4XX and DEFAULT_5XX catch the rest with the gateway's own message as `detail`
 *   and keep the gateway's status code, so they carry no `status` member. In this API the
 *   4xx remainder is requests API Gateway cannot parse; the 5xx are integration failures
 *   (a function that crashed, timed out or answered malformed), which are internal errors.
 */
const gatewayProblems: readonly GatewayProblem[] = [
  {
    responseType: ResponseType.MISSING_AUTHENTICATION_TOKEN,
    problem: { status: 404, slug: 'not-found', title: 'No such route', detail: 'This method and path are not a route of this API.' },
  },
  {
    responseType: ResponseType.RESOURCE_NOT_FOUND,
    problem: { status: 404, slug: 'not-found', title: 'No such route', detail: 'This method and path are not a route of this API.' },
  },
  {
    responseType: ResponseType.THROTTLED,
    problem: {
      status: 429,
      slug: 'rate-limited',
      title: 'Too many requests',
      detail: 'The API is receiving more requests than it accepts; retry shortly.',
    },
    headers: { 'Retry-After': '1' },
  },
  {
    responseType: ResponseType.REQUEST_TOO_LARGE,
    problem: {
      status: 413,
      slug: 'payload-too-large',
      title: 'The request body is too large',
      detail: `Bodies are limited to ${maxBodyBytes} bytes.`,
    },
  },
  {
    responseType: ResponseType.DEFAULT_4XX,
    problem: { slug: 'validation-error', title: 'The request was rejected' },
  },
  {
    responseType: ResponseType.DEFAULT_5XX,
    problem: { slug: 'internal-error', title: 'Internal error' },
  },
];

/**
 * The body template: gateway templates only substitute `$context` variables (no VTL), and
 * `$context.error.messageString` arrives already JSON-quoted, so it is spliced in unquoted.
 */
export const gatewayResponseBody = (problem: EdgeProblem): string => {
  const body = JSON.stringify({ ...problemMembers(problem), instance: '$context.requestId' });
  return problem.detail === undefined ? `${body.slice(0, -1)},"detail":$context.error.messageString}` : body;
};

/** Header values in gateway responses are mapping expressions: a static value is single-quoted. */
const staticHeader = (value: string): string => `'${value}'`;

export const addProblemGatewayResponses = (api: RestApi): void => {
  for (const { responseType, problem, headers } of gatewayProblems) {
    api.addGatewayResponse(`Problem${responseType.responseType}`, {
      type: responseType,
      ...(problem.status === undefined ? {} : { statusCode: String(problem.status) }),
      responseHeaders: Object.fromEntries(
        Object.entries({ 'Content-Type': 'application/problem+json', ...headers }).map(([name, value]) => [name, staticHeader(value)]),
      ),
      templates: { 'application/json': gatewayResponseBody(problem) },
    });
  }
};
