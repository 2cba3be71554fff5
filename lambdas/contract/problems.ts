import { z } from 'zod';
import { type ProblemSlug, problemType, problemTypeBase, problemTypes } from '../http/problem-types.js';
import { chargeSchema } from './resources.js';

/**
 * The contract's view of the problem catalogue (lambdas/http/problem-types.ts): one schema per
 * problem type, its type URI, title and status fixed by the catalogue, and which types each
 * route can answer. Texts are read from the catalogue, never copied.
 */

/** Extension members (RFC 9457 §3.2) some types carry, as the code that raises them adds them. */
const extensions: Partial<Record<ProblemSlug, z.ZodRawShape>> = {
  'validation-error': { field: z.string().optional().meta({ description: 'The offending field, dotted for nested ones.' }) },
  'webhook-url-invalid': { field: z.literal('url').optional() },
  'amount-too-large': {
    field: z.literal('amount').optional(),
    amount_refundable: z.number().int().optional().meta({ description: 'What the charge has left to refund.' }),
  },
  'card-declined': {
    decline_code: z.string().nullable().meta({ description: "The processor's decline code." }),
    charge: chargeSchema,
  },
  'charge-in-another-region': {
    region: z.string().meta({ description: 'The region that made the charge, where its refunds are made.', examples: ['us-east-1'] }),
  },
  'rate-limited': {
    'violated-policies': z.array(z.string()).optional().meta({ description: 'The RateLimit-Policy names that refused the request.' }),
  },
};

/** `idempotency-key-in-use` → `IdempotencyKeyInUseProblem`. */
export const problemSchemaId = (slug: ProblemSlug): string =>
  `${slug
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('')}Problem`;

const problemSchema = (slug: ProblemSlug) => {
  const type = problemType(slug);
  return z
    .object({
      type: z.literal(`${problemTypeBase}${slug}`),
      title: z.literal(type.title),
      status: z
        .literal(type.status)
        .optional()
        .meta({ description: "Absent only from API Gateway's catch-all answers, whose status varies." }),
      detail: z.string().meta({ description: `What this occurrence says; by default: ${type.detail}` }),
      instance: z.string().optional().meta({ description: 'The request id of this occurrence, when an unexpected error answered it.' }),
      ...extensions[slug],
    })
    .meta({ id: problemSchemaId(slug), description: `**${slug}** (${type.status}): ${type.when}` });
};

export const problemSlugs = Object.keys(problemTypes) as ProblemSlug[];

/** Answered by the sandbox processor only: an unknown method on a Retrysafe path is a 404, as API Gateway answers it. */
export const processorOnlyProblems: readonly ProblemSlug[] = ['method-not-allowed'];

export const apiProblemSlugs = problemSlugs.filter((slug) => !processorOnlyProblems.includes(slug));

export const problemSchemas = Object.fromEntries(problemSlugs.map((slug) => [slug, problemSchema(slug)])) as Record<
  ProblemSlug,
  ReturnType<typeof problemSchema>
>;

/** What a route is, as far as the problems it can answer go. */
export interface RouteTraits {
  readonly authenticated: boolean;
  readonly hasBody: boolean;
  /** Validates a query string, a body or a path parameter that can be malformed. */
  readonly validates: boolean;
  /** Names a resource by a path parameter, which may name nothing. */
  readonly findsResource: boolean;
  readonly idempotencyKey?: 'required' | 'optional';
  /** Problems only this route's own logic answers. */
  readonly own?: readonly ProblemSlug[];
}

/**
 * Every problem a route can answer, derived from what it is: the edge's (malformed requests,
 * headers, timeouts, stage throttling, capacity), authentication's, the body parser's, the
 * idempotency layer's on keyed routes, and its own.
 */
export const routeProblems = (traits: RouteTraits): readonly ProblemSlug[] => {
  const slugs = new Set<ProblemSlug>([
    'malformed-request',
    'headers-too-large',
    'request-timeout',
    'rate-limited',
    'service-unavailable',
    'internal-error',
  ]);
  const add = (...more: readonly ProblemSlug[]) => {
    for (const slug of more) slugs.add(slug);
  };
  if (traits.authenticated) add('unauthorized');
  if (traits.validates) add('validation-error');
  if (traits.findsResource) add('not-found');
  if (traits.hasBody) add('payload-too-large', 'unsupported-media-type', 'validation-error');
  if (traits.idempotencyKey !== undefined)
    add('idempotency-key-invalid', 'idempotency-key-reused', 'idempotency-key-in-use', 'idempotency-record-too-large');
  if (traits.idempotencyKey === 'required') add('idempotency-key-missing');
  add(...(traits.own ?? []));
  return problemSlugs.filter((slug) => slugs.has(slug));
};

/** The problems of a route grouped by status, in the catalogue's order. */
export const problemsByStatus = (slugs: readonly ProblemSlug[]): ReadonlyMap<number, readonly ProblemSlug[]> => {
  const byStatus = new Map<number, ProblemSlug[]>();
  for (const slug of slugs) {
    const status = problemType(slug).status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), slug]);
  }
  return byStatus;
};

/** Headers every problem of the list carries (Retry-After on a 503, WWW-Authenticate on a 401). */
export const headersOfAll = (slugs: readonly ProblemSlug[]): readonly string[] => {
  const [first, ...rest] = slugs.map((slug) => Object.keys(problemType(slug).headers ?? {}));
  return (first ?? []).filter((name) => rest.every((names) => names.includes(name)));
};

/** Headers some problem of the list carries. */
export const headersOfAny = (slugs: readonly ProblemSlug[]): readonly string[] => [
  ...new Set(slugs.flatMap((slug) => Object.keys(problemType(slug).headers ?? {}))),
];
