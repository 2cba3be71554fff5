import type { components } from './schema.js';

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
  'charge-in-another-region',
  'charge-not-refundable',
  'service-unavailable',
  'webhook-url-invalid',
  'internal-error',
] as const;

export type KnownProblemSlug = (typeof problemSlugs)[number];

/** `unknown` stands for an answer that is not a Retrysafe problem: a proxy's HTML 502, a newer type. */
export type ProblemSlug = KnownProblemSlug | 'unknown';

type Schema = components['schemas'][keyof components['schemas']];
type ProblemTypeUri<S extends string> = `${typeof problemTypeBase}${S}`;

/** The slugs the contract declares a problem schema for; a test holds problemSlugs equal to them. */
export type ContractProblemSlug = Extract<Schema, { type: string }>['type'] extends infer T
  ? T extends ProblemTypeUri<infer S>
    ? S
    : never
  : never;

/** What every problem has (RFC 9457), whatever its type. */
export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly instance?: string;
  readonly [extension: string]: unknown;
}

/**
 * A problem of type `S` as the contract declares it, extensions included (`decline_code` and
 * `charge` of card-declined, `field` of validation-error); plain RFC 9457 for `unknown`.
 */
export type Problem<S extends ProblemSlug = ProblemSlug> = ProblemDetails &
  ([Extract<Schema, { type: ProblemTypeUri<S> }>] extends [never] ? unknown : Extract<Schema, { type: ProblemTypeUri<S> }>);

const knownSlugs: ReadonlySet<string> = new Set(problemSlugs);

export const slugOf = (type: unknown): ProblemSlug => {
  if (typeof type !== 'string' || !type.startsWith(problemTypeBase)) return 'unknown';
  const slug = type.slice(problemTypeBase.length);
  return knownSlugs.has(slug) ? (slug as KnownProblemSlug) : 'unknown';
};

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The problem a response body states, or one made up from the status when the body is not a problem. */
export const problemFrom = (status: number, body: unknown): ProblemDetails => {
  if (isRecord(body) && typeof body.type === 'string' && typeof body.title === 'string') {
    // The contract lets API Gateway's catch-all answers omit status; the response has it.
    return { ...body, type: body.type, title: body.title, status: typeof body.status === 'number' ? body.status : status };
  }
  return { type: 'about:blank', title: `HTTP ${status}`, status, ...(typeof body === 'string' && body !== '' ? { detail: body } : {}) };
};
