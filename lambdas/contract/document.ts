import { z } from 'zod';
import {
  createDocument,
  type ZodOpenApiObject,
  type ZodOpenApiOperationObject,
  type ZodOpenApiPathsObject,
  type ZodOpenApiResponseObject,
} from 'zod-openapi';
import { eventTypes, type EventType } from '../events/outbox.js';
import { problemType, type ProblemSlug } from '../http/problem-types.js';
import { header, headerNames, idempotencyKeyHeader } from './headers.js';
import { type ContractRouteKey, openApiTemplate, type OperationSpec, operations } from './operations.js';
import { headersOfAll, headersOfAny, problemSchemaId, problemSchemas, problemsByStatus, routeProblems } from './problems.js';
import { eventSchemaId } from './resources.js';

/**
 * Retrysafe's OpenAPI 3.1 contract, built from the zod schemas the handlers validate requests
 * with and the response schemas of lambdas/contract/resources.ts. `npm run docs` writes it to
 * openapi.json; GET /openapi.json serves that file.
 */

export const openApiVersion = '3.1.0';

const securitySchemeName = 'apiKey';

/** Headers a problem occurrence may add beyond its type's own (problem-types.ts `headers`). */
const occurrenceHeaders: Partial<Record<ProblemSlug, readonly string[]>> = {
  'unsupported-media-type': [headerNames.acceptEncoding],
};

const isPathWithParameters = (path: string): boolean => path.includes('{');

const headersObject = (entries: Readonly<Record<string, boolean>>) =>
  z.object(Object.fromEntries(Object.entries(entries).map(([name, required]) => [name, header(name, required)])));

/** Headers every answer of the route can carry. */
const routeHeaders = (spec: OperationSpec): Record<string, boolean> => ({
  ...(spec.public === true ? {} : { [headerNames.rateLimitPolicy]: false, [headerNames.rateLimit]: false }),
  ...(spec.idempotencyKey === undefined ? {} : { [headerNames.replayed]: false }),
});

/** Problem answers are shared by many routes: each distinct one is a component, named by its problems and the route's kind. */
const problemResponses = new Map<string, ZodOpenApiResponseObject>();

const problemResponse = (spec: OperationSpec, slugs: readonly ProblemSlug[]): ZodOpenApiResponseObject => {
  const kind = spec.public === true ? 'Public' : spec.idempotencyKey === undefined ? '' : 'Keyed';
  const id = `${slugs.map((slug) => problemSchemaId(slug).replace(/Problem$/, '')).join('Or')}${kind}`;
  const known = problemResponses.get(id);
  if (known !== undefined) return known;
  const response = problemResponseFor(spec, slugs, id);
  problemResponses.set(id, response);
  return response;
};

const problemResponseFor = (spec: OperationSpec, slugs: readonly ProblemSlug[], id: string): ZodOpenApiResponseObject => {
  const always = headersOfAll(slugs);
  const headers: Record<string, boolean> = { ...routeHeaders(spec), [headerNames.shouldRetry]: true };
  for (const name of [...headersOfAny(slugs), ...slugs.flatMap((slug) => occurrenceHeaders[slug] ?? [])])
    headers[name] = always.includes(name);
  const schemas = slugs.map((slug) => problemSchemas[slug]);
  const [only, ...more] = schemas;
  if (only === undefined) throw new Error('A problem response needs at least one problem type');
  return {
    id,
    description: slugs
      .map((slug) => `**${slug}** (\`Retrysafe-Should-Retry: ${String(problemType(slug).retryable)}\`): ${problemType(slug).when}`)
      .join('\n\n'),
    headers: headersObject(headers),
    content: { 'application/problem+json': { schema: more.length === 0 ? only : z.union([only, ...more]) } },
  };
};

const operation = (key: ContractRouteKey, spec: OperationSpec): ZodOpenApiOperationObject => {
  const path = openApiTemplate(key.split(' ')[1] ?? '');
  const problems = routeProblems({
    authenticated: spec.public !== true,
    hasBody: spec.body !== undefined,
    validates: spec.body !== undefined || spec.query !== undefined,
    findsResource: isPathWithParameters(path),
    ...(spec.idempotencyKey === undefined ? {} : { idempotencyKey: spec.idempotencyKey }),
    ...(spec.ownProblems === undefined ? {} : { own: spec.ownProblems }),
  });
  const responses: Record<string, ZodOpenApiResponseObject> = {};
  for (const success of spec.success) {
    responses[String(success.status)] = {
      description: success.description,
      headers: headersObject({ ...routeHeaders(spec), ...success.headers }),
      content: { 'application/json': { schema: success.schema ?? z.looseObject({ openapi: z.literal(openApiVersion) }) } },
    };
  }
  for (const [status, slugs] of problemsByStatus(problems)) responses[String(status)] = problemResponse(spec, slugs);
  return {
    operationId: spec.operationId,
    summary: spec.summary,
    ...(spec.description === undefined ? {} : { description: spec.description }),
    tags: [spec.tag],
    ...(spec.public === true ? { security: [] } : {}),
    ...(spec.path === undefined && spec.query === undefined
      ? {}
      : { requestParams: { ...(spec.path && { path: spec.path }), ...(spec.query && { query: spec.query }) } }),
    ...(spec.idempotencyKey === undefined ? {} : { parameters: [idempotencyKeyHeader(spec.idempotencyKey === 'required')] }),
    ...(spec.body === undefined
      ? {}
      : {
          requestBody: {
            // A body every field of which is optional may be left out: the API reads none as {}.
            required: !spec.body.safeParse({}).success,
            content: { 'application/json': { schema: spec.body } },
          },
        }),
    responses: Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b))),
  };
};

const paths = (): ZodOpenApiPathsObject => {
  const byPath: Record<string, Record<string, ZodOpenApiOperationObject>> = {};
  for (const [key, spec] of Object.entries(operations) as [ContractRouteKey, OperationSpec][]) {
    const [method = '', topologyPath = ''] = key.split(' ');
    const path = openApiTemplate(topologyPath);
    byPath[path] = { ...byPath[path], [method.toLowerCase()]: operation(key, spec) };
  }
  return Object.fromEntries(Object.entries(byPath).sort(([a], [b]) => a.localeCompare(b)));
};

const webhookHeaders = z.object({
  'webhook-id': z.string().meta({
    description: 'The delivery id (dlv_…): the same on every attempt of the delivery, so receivers deduplicate on it.',
    examples: ['dlv_01J9Z8Q3X4N5V6W7Y8Z9A0B1C2_Qm9vaGJ5ZUZhc3RG'],
  }),
  'webhook-timestamp': z
    .string()
    .regex(/^\d+$/)
    .meta({
      description: 'Epoch seconds the attempt was signed; reject one far from your clock to stop replays.',
      examples: ['1767225600'],
    }),
  'webhook-signature': z
    .string()
    .regex(/^v1,[A-Za-z0-9+/]+={0,2}( v1,[A-Za-z0-9+/]+={0,2})*$/)
    .meta({
      description:
        'Standard Webhooks signatures, space-separated, one per valid secret (two for 24 hours after a rotation): `v1,` + base64(HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<body>")), the key being the base64-decoded part of the endpoint\'s `whsec_` secret. Verify against the exact bytes received.',
    }),
});

const webhook = (type: EventType): ZodOpenApiOperationObject => ({
  operationId: `${type.replace(/\.(\w)/g, (_match, letter: string) => letter.toUpperCase())}Webhook`,
  summary: `The ${type} event`,
  description: `Sent to every enabled endpoint subscribed to ${type} (or "*"), signed per Standard Webhooks (https://www.standardwebhooks.com). Retried with backoff until a 2xx; a 410 disables the endpoint.`,
  tags: ['Webhooks'],
  security: [],
  requestParams: { header: webhookHeaders },
  // By reference: the event is what Retrysafe sends, so its schema is the response-side one of GET /v1/events.
  requestBody: { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${eventSchemaId(type)}` } } } },
  responses: {
    '2XX': { description: 'Received: no further attempts.' },
    '410': { description: 'Gone: the endpoint is disabled and its pending deliveries fail; redrive them once it is back.' },
  },
});

const webhooks = (): ZodOpenApiPathsObject => Object.fromEntries(eventTypes.map((type) => [type, { post: webhook(type) }]));

const document: ZodOpenApiObject = {
  openapi: openApiVersion,
  info: {
    title: 'Retrysafe API',
    version: '1.0.0',
    summary: 'A payments API where a retry can never charge a customer twice.',
    description: [
      'Authenticate with your API key: `Authorization: Bearer sk_…`.',
      'Every POST takes an `Idempotency-Key`; charges and refunds require one. Retry a request with the same key and it runs at most once.',
      'Every error is an RFC 9457 problem (`application/problem+json`) whose `type` names one of the problem types below, and carries `Retrysafe-Should-Retry`.',
      'Lists page by `limit` and `starting_after` (the id of the last object of the previous page).',
    ].join('\n\n'),
    license: { name: 'MIT', identifier: 'MIT' },
  },
  // Relative: the API that serves this document at GET /openapi.json, deployed or local.
  servers: [{ url: '/', description: 'The API serving this document.' }],
  security: [{ [securitySchemeName]: [] }],
  tags: [
    { name: 'Service', description: 'Public routes, without authentication.' },
    { name: 'Charges', description: 'Money-moving routes and reading charges back.' },
    { name: 'Account', description: 'The balance and the event log.' },
    { name: 'Webhook endpoints', description: 'Where events are sent, their deliveries, redrive and secret rotation.' },
    { name: 'Idempotency keys', description: 'Where a keyed request stands.' },
    { name: 'Webhooks', description: 'The events Retrysafe sends to your endpoints.' },
  ],
  paths: paths(),
  webhooks: webhooks(),
  components: {
    securitySchemes: {
      [securitySchemeName]: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'sk_…',
        description: 'Your secret API key (`npm run keys` makes one).',
      },
    },
  },
};

/** The contract as an object, ready for JSON.stringify. */
export const contractDocument = (): ReturnType<typeof createDocument> => createDocument(document);
