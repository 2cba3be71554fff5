/** Where every Retrysafe problem type URI starts; the slug follows. */
export const problemTypeBase = 'https://retrysafe.dev/problems/';

/**
 * The server's problem catalogue (lambdas/http/problem-types.ts), by slug. A test of the
 * repository keeps this list equal to the catalogue.
 */
export const problemSlugs = [
  'validation-error',
  'malformed-request',
  'headers-too-large',
  'request-timeout',
  'payload-too-large',
  'unsupported-media-type',
  'unauthorized',
  'not-found',
  'method-not-allowed',
  'rate-limited',
  'idempotency-key-missing',
  'idempotency-key-invalid',
  'idempotency-key-reused',
  'idempotency-key-in-use',
  'idempotency-record-too-large',
  'card-declined',
  'processor-unavailable',
  'amount-too-large',
  'charge-not-refundable',
  'service-unavailable',
  'webhook-url-invalid',
  'internal-error',
] as const;

export type KnownProblemSlug = (typeof problemSlugs)[number];

/** `unknown` stands for an answer that is not a Retrysafe problem: a proxy's HTML 502, a newer type. */
export type ProblemSlug = KnownProblemSlug | 'unknown';

/** Members a problem type adds to RFC 9457's, by slug. */
export interface ProblemExtensions {
  'card-declined': { decline_code: string; charge: { id: string; object: 'charge'; status: 'failed' } & Record<string, unknown> };
  /** The parameter at fault, when one is. */
  'validation-error': { field?: string };
}

/** An RFC 9457 problem details object, with the extensions its type adds. */
export type Problem<S extends ProblemSlug = ProblemSlug> = {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
} & (S extends keyof ProblemExtensions ? ProblemExtensions[S] : Record<string, unknown>);

const knownSlugs: ReadonlySet<string> = new Set(problemSlugs);

export const slugOf = (type: unknown): ProblemSlug => {
  if (typeof type !== 'string' || !type.startsWith(problemTypeBase)) return 'unknown';
  const slug = type.slice(problemTypeBase.length);
  return knownSlugs.has(slug) ? (slug as KnownProblemSlug) : 'unknown';
};

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The problem a response body states, or one made up from the status when the body is not a problem. */
export const problemFrom = (status: number, body: unknown): Problem => {
  if (isRecord(body) && typeof body.type === 'string' && typeof body.title === 'string') {
    return { ...body, type: body.type, title: body.title, status: typeof body.status === 'number' ? body.status : status };
  }
  return { type: 'about:blank', title: `HTTP ${status}`, status, ...(typeof body === 'string' && body !== '' ? { detail: body } : {}) };
};
