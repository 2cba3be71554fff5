/**
 * Every problem Retrysafe answers (RFC 9457), declared once and keyed by the slug that ends its
 * `type` URI. Handlers, the sandbox processor, the API Gateway and WAF responses of the CDK stack
 * and the documentation all read this table, so a client switches on one vocabulary and a title
 * never differs between two occurrences of the same type (RFC 9457 §3.1.3).
 *
 * Plain data with no imports, like topology.ts: the CDK app and documentation generators read it
 * without loading handler code.
 */
export interface ProblemType {
  readonly status: number;
  /**
   * Whether the same request, sent again with the same Idempotency-Key, may get another answer:
   * sent to clients as the Retrysafe-Should-Retry header, so a client library need not keep its
   * own list of statuses (the model is Stripe-Should-Retry).
   */
  readonly retryable: boolean;
  readonly title: string;
  /** What an occurrence says when it has nothing more specific to say. */
  readonly detail: string;
  /** When a client meets it, for the documentation. */
  readonly when: string;
  /** Headers every occurrence carries unless it gives its own value. */
  readonly headers?: Readonly<Record<string, string>>;
}

export const problemTypeBase = 'https://retrysafe.dev/problems/';

export const problemTypes = {
  'validation-error': {
    status: 400,
    retryable: false,
    title: 'The request is invalid',
    detail: 'A parameter is missing or malformed.',
    when: 'A body, query or path parameter fails validation; nothing was claimed or written, so a corrected request may reuse its Idempotency-Key.',
  },
  'malformed-request': {
    status: 400,
    retryable: false,
    title: 'The request is malformed',
    detail: 'The request is not well-formed HTTP.',
    when: 'The path has malformed percent-encoding, a header holds a control character, Content-Length and Transfer-Encoding are both sent, or a header that may appear once (Authorization) is repeated.',
  },
  'headers-too-large': {
    status: 431,
    retryable: false,
    title: 'Request header fields too large',
    detail: 'The request headers are larger than this API accepts.',
    when: "The request line and headers exceed what the server reads: 16 KiB on the local stack (Node's limit).",
  },
  'request-timeout': {
    status: 408,
    retryable: true,
    title: 'Request timeout',
    detail: 'The request was not received in time.',
    when: 'The client sent its request line and headers too slowly (the local stack waits 60 s, as Node does).',
  },
  'payload-too-large': {
    status: 413,
    retryable: false,
    title: 'The request body is too large',
    detail: 'The request body is larger than this API accepts.',
    when: 'The body exceeds 64 KiB.',
  },
  'unsupported-media-type': {
    status: 415,
    retryable: false,
    title: 'Unsupported media type',
    detail: 'Send the body as application/json.',
    when: 'A body arrives with a Content-Type other than JSON, or compressed (a Content-Encoding other than identity; Accept-Encoding says so).',
  },
  unauthorized: {
    status: 401,
    retryable: false,
    title: 'Authentication required',
    detail: 'Send your API key as "Authorization: Bearer <key>".',
    when: 'The Authorization header is missing, malformed, or names no valid API key.',
    headers: { 'WWW-Authenticate': 'Bearer realm="retrysafe"' },
  },
  'not-found': {
    status: 404,
    retryable: false,
    title: 'Not found',
    detail: 'No such resource exists on this account.',
    when: "The route does not exist, or the id names nothing on the caller's account (another account's ids look the same).",
  },
  'method-not-allowed': {
    status: 405,
    retryable: false,
    title: 'Method not allowed',
    detail: 'This path does not support the method.',
    when: 'The path exists but not with this method; the Allow header lists those it takes.',
  },
  'rate-limited': {
    status: 429,
    retryable: true,
    title: 'Too many requests',
    detail: 'The rate limit is exhausted; retry after the indicated time.',
    when: "The account's token bucket is empty (RateLimit and Retry-After say when a token returns), or the stage throttles.",
    headers: { 'Retry-After': '1' },
  },
  'idempotency-key-missing': {
    status: 400,
    retryable: false,
    title: 'Idempotency-Key header required',
    detail: 'This operation moves money: send a unique Idempotency-Key header (e.g. a UUID) and reuse it when you retry.',
    when: 'A charge or refund arrives without an Idempotency-Key header.',
  },
  'idempotency-key-invalid': {
    status: 400,
    retryable: false,
    title: 'Idempotency-Key header invalid',
    detail: 'Use 1-255 printable ASCII characters, bare or as a quoted string.',
    when: 'The Idempotency-Key is empty, too long, not printable ASCII, or sent twice with different values.',
  },
  'idempotency-key-reused': {
    status: 422,
    retryable: false,
    title: 'Idempotency-Key reused with a different request',
    detail: 'This key was first used with a different method, route or body. Use a new key for a new request.',
    when: 'The key was first used with a different method, route, path parameters or body; nothing runs.',
  },
  'idempotency-key-in-use': {
    status: 409,
    retryable: true,
    title: 'A request with this Idempotency-Key is in progress',
    detail: 'The first request with this key has not finished yet. Retry after the indicated time to get its result.',
    when: 'A request with the same key is still executing; Retry-After says when to ask again for its result.',
    headers: { 'Retry-After': '1' },
  },
  'idempotency-record-too-large': {
    status: 500,
    retryable: false,
    title: 'Response too large to store for replay',
    detail: 'The response cannot be stored for replay. Nothing was committed and the key is free again.',
    when: 'A response does not fit in an idempotency record even compressed; nothing was committed.',
  },
  'card-declined': {
    status: 402,
    retryable: false,
    title: 'The card was declined',
    detail: 'The processor declined the charge.',
    when: 'The processor declined the card; the failed charge is embedded, stored and replayed.',
  },
  'processor-unavailable': {
    status: 503,
    retryable: true,
    title: 'The card processor is unavailable',
    detail: 'The charge may or may not have reached the processor. Retry with the same Idempotency-Key: it will never charge twice.',
    when: 'The processor timed out, failed or shed load, or the request ran out of time waiting for it; a retry with the same key resumes the charge.',
    headers: { 'Retry-After': '1' },
  },
  'amount-too-large': {
    status: 400,
    retryable: false,
    title: 'Refund amount exceeds what remains',
    detail: 'The refund is larger than what remains refundable.',
    when: 'A refund asks for more than the charge has left to refund (also when a concurrent refund took it first).',
  },
  'charge-in-another-region': {
    status: 421,
    retryable: false,
    title: 'The charge was made in another region',
    detail: 'Refunds of this charge are made in the region that made it.',
    when: 'A multi-region deployment: a refund reaches another region than the one that made its charge (the `region` member names it); send it to that region.',
  },
  'charge-not-refundable': {
    status: 400,
    retryable: false,
    title: 'The charge cannot be refunded',
    detail: 'Only succeeded charges can be refunded.',
    when: 'A refund names a charge that failed.',
  },
  'service-unavailable': {
    status: 503,
    retryable: true,
    title: 'Service temporarily unavailable',
    detail: 'A dependency is temporarily unavailable; retry with the same Idempotency-Key.',
    when: 'A dependency (DynamoDB, the rate-limit store in closed mode) is briefly unavailable or contended, the request ran out of time under load, or no function invocation was free in time (Lambda throttled it); a retry with the same key is safe.',
    headers: { 'Retry-After': '1' },
  },
  'webhook-url-invalid': {
    status: 400,
    retryable: false,
    title: 'The webhook URL is not allowed',
    detail: 'Webhook URLs must be public https URLs.',
    when: 'A webhook endpoint URL is not https, or resolves to a private, loopback, link-local or metadata address.',
  },
  'internal-error': {
    status: 500,
    retryable: true,
    title: 'Internal error',
    detail: 'An unexpected error occurred; it has been logged. Retrying with the same Idempotency-Key is safe.',
    when: 'A bug; nothing is half-written, and a retry with the same key is safe.',
  },
} as const satisfies Record<string, ProblemType>;

export type ProblemSlug = keyof typeof problemTypes;

/** A type's declaration, widened so optional members (headers) can be read off any slug. */
export const problemType = (slug: ProblemSlug): ProblemType => problemTypes[slug];

/** The server's word on retrying, on every problem answer: "true" or "false". */
export const shouldRetryHeader = 'Retrysafe-Should-Retry';

/** The headers every occurrence of a type carries: its declared ones and whether to retry. */
export const problemHeaders = (slug: ProblemSlug): Readonly<Record<string, string>> => {
  const type = problemType(slug);
  return { ...type.headers, [shouldRetryHeader]: String(type.retryable) };
};
