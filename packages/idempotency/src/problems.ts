import type { HttpResponse } from './http-response.js';

/** Every answer the engine and the middleware give on their own, with what makes each occurrence specific. */
export type IdempotencyProblem =
  | { readonly kind: 'key-missing'; readonly header: string }
  | { readonly kind: 'key-invalid'; readonly header: string; readonly reason: string }
  /** The key was first used with another request (method, route, parameters or body). */
  | { readonly kind: 'key-reused' }
  /** Another request with the key is still being processed. */
  | { readonly kind: 'key-in-use'; readonly retryAfterSeconds: number }
  /** The response is too large for a record; nothing was committed and the key is free again. */
  | { readonly kind: 'record-too-large'; readonly encodedBytes: number; readonly maxBytes: number };

/** Turns a problem into the HTTP answer to give; a service with its own problem catalogue passes one. */
export type ProblemAnswers = (problem: IdempotencyProblem) => HttpResponse;

/**
 * Where the default answers' `type` URIs start unless a caller names its own base. A tag URI
 * (RFC 4151) names the types without promising a page behind them.
 */
export const defaultProblemTypeBase = 'tag:retrysafe.dev,2025:idempotency/';

/** The `type` slug of each problem, after the base. */
export const problemSlugs = {
  'key-missing': 'idempotency-key-missing',
  'key-invalid': 'idempotency-key-invalid',
  'key-reused': 'idempotency-key-reused',
  'key-in-use': 'idempotency-key-in-use',
  'record-too-large': 'idempotency-record-too-large',
} as const satisfies Record<IdempotencyProblem['kind'], string>;

interface ProblemText {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Texts that suit any API: they say what happened to the key, nothing about what the operation does. */
const genericText = (problem: IdempotencyProblem): ProblemText => {
  switch (problem.kind) {
    case 'key-missing':
      return {
        status: 400,
        title: 'Idempotency key missing',
        detail: `This operation requires an ${problem.header} header: send a unique value (e.g. a UUID) and reuse it when you retry.`,
      };
    case 'key-invalid':
      return {
        status: 400,
        title: 'Idempotency key invalid',
        detail: `The ${problem.header} header is invalid: ${problem.reason}. Use 1-255 printable ASCII characters, bare or as a quoted string.`,
      };
    case 'key-reused':
      return {
        status: 422,
        title: 'Idempotency key reused',
        detail: 'This key was already used with a different request; use a new key for a new request.',
      };
    case 'key-in-use':
      return {
        status: 409,
        title: 'Idempotency key in use',
        detail: 'A request with this key is still being processed; retry it later with the same key.',
        headers: { 'Retry-After': String(problem.retryAfterSeconds) },
      };
    case 'record-too-large':
      return {
        status: 500,
        title: 'Response too large to keep',
        detail: `The response is ${problem.encodedBytes} bytes even compressed; idempotency records hold at most ${problem.maxBytes}. Nothing was committed and the key is free again.`,
      };
  }
};

/** RFC 9457 problem+json answers with generic texts, their `type` URIs under `typeBase`. */
export const genericProblemAnswers =
  (typeBase: string = defaultProblemTypeBase): ProblemAnswers =>
  (problem) => {
    const { status, title, detail, headers } = genericText(problem);
    return {
      statusCode: status,
      headers: { 'Content-Type': 'application/problem+json', ...headers },
      body: JSON.stringify({ type: `${typeBase}${problemSlugs[problem.kind]}`, title, status, detail }),
    };
  };
