import { ResponseType, type RestApi } from 'aws-cdk-lib/aws-apigateway';
import { capacityProblem } from '../lambdas/http/capacity-problem.js';
import { maxBodyBytes } from '../lambdas/http/json-body.js';
import { type EdgeProblem, edgeHeaders, edgeStatus, problemMembers } from './problem-document.js';

interface GatewayProblem {
  readonly responseType: ResponseType;
  readonly problem: EdgeProblem;
}

const noSuchRoute: EdgeProblem = { slug: 'not-found', detail: 'This method and path are not a route of this API.' };

/**
 * API Gateway's own error answers, rewritten as RFC 9457 problems. Without these a client
 * would get `{"message": ...}` JSON from the gateway but problem+json from every handler.
 *
 * - An unknown route (or a known path with an unrouted method) is MISSING_AUTHENTICATION_TOKEN,
 *   a 403 by default; it becomes the 404 not-found the local stack answers.
 * - Stage throttling is THROTTLED (429); WAF's rate rule answers 429 itself.
 * - REQUEST_TOO_LARGE is API Gateway's 10 MB limit; WAF refuses anything over 64 KiB first,
 *   so this only shows if WAF is detached.
 * - INTEGRATION_FAILURE is what a throttled Lambda invocation (the account's concurrency spent)
 *   comes to, a bare 500 by default; INTEGRATION_TIMEOUT is a function still running at the
 *   integration timeout. Both are overload, not bugs: 503 with Retry-After, the answer the local
 *   API Gateway gives when its concurrency gate refuses a request. The handlers answer before
 *   their own deadlines, so these are the gateway's last word, not the usual one.
 * - DEFAULT_4XX and DEFAULT_5XX catch the rest with the gateway's own message as `detail`
 *   and keep the gateway's status code, so they carry no `status` member. In this API the
 *   4xx remainder is requests API Gateway cannot parse; the 5xx are integration failures
 *   (a function that crashed, timed out or answered malformed), which are internal errors.
 */
const gatewayProblems: readonly GatewayProblem[] = [
  { responseType: ResponseType.MISSING_AUTHENTICATION_TOKEN, problem: noSuchRoute },
  { responseType: ResponseType.RESOURCE_NOT_FOUND, problem: noSuchRoute },
  {
    responseType: ResponseType.THROTTLED,
    problem: { slug: 'rate-limited', detail: 'The API is receiving more requests than it accepts; retry shortly.' },
  },
  {
    responseType: ResponseType.REQUEST_TOO_LARGE,
    problem: { slug: 'payload-too-large', detail: `Bodies are limited to ${maxBodyBytes} bytes.` },
  },
  { responseType: ResponseType.INTEGRATION_FAILURE, problem: capacityProblem },
  { responseType: ResponseType.INTEGRATION_TIMEOUT, problem: capacityProblem },
  { responseType: ResponseType.DEFAULT_4XX, problem: { slug: 'validation-error', statusVaries: true } },
  { responseType: ResponseType.DEFAULT_5XX, problem: { slug: 'internal-error', statusVaries: true } },
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
  for (const { responseType, problem } of gatewayProblems) {
    const status = edgeStatus(problem);
    api.addGatewayResponse(`Problem${responseType.responseType}`, {
      type: responseType,
      ...(status === undefined ? {} : { statusCode: String(status) }),
      responseHeaders: Object.fromEntries(
        Object.entries({ 'Content-Type': 'application/problem+json', ...edgeHeaders(problem) }).map(([name, value]) => [
          name,
          staticHeader(value),
        ]),
      ),
      templates: { 'application/json': gatewayResponseBody(problem) },
    });
  }
};
