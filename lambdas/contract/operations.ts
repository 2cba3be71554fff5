import { z } from 'zod';
import { eventTypes } from '../events/outbox.js';
import type { ProblemSlug } from '../http/problem-types.js';
import { eventsQuerySchema } from '../payments/event-queries.js';
import { createChargeSchema, createRefundSchema, listQuerySchema } from '../payments/requests.js';
import type { routes } from '../topology.js';
import { deliveriesQuerySchema } from '../webhooks/delivery-api.js';
import { createEndpointBody, emptyBody, endpointsQuerySchema } from '../webhooks/endpoint-api.js';
import { headerNames } from './headers.js';
import {
  balanceSchema,
  chargeSchema,
  createdWebhookEndpointSchema,
  deletedWebhookEndpointSchema,
  deliverySchema,
  eventSchema,
  healthSchema,
  idempotencyKeySchema,
  listOf,
  redriveResultSchema,
  refundSchema,
  rotatedWebhookEndpointSchema,
  webhookEndpointSchema,
} from './resources.js';

/** `METHOD /path` of each route topology.ts declares, exactly (topology's RouteKey pairs every method with every path). */
type KeyOf<R> = R extends { readonly method: infer M extends string; readonly path: infer P extends string } ? `${M} ${P}` : never;
export type TopologyRouteKey = KeyOf<(typeof routes)[number]>;

export type ContractRouteKey = TopologyRouteKey;

/**
 * A topology path as OpenAPI writes it: a greedy parameter (`{key+}`, API Gateway's syntax for
 * one that may hold "/") is a plain one whose value the client percent-encodes.
 */
export const openApiTemplate = (topologyPath: string): string => topologyPath.replace(/\{(\w+)\+\}/g, '{$1}');

export interface SuccessResponse {
  readonly status: number;
  readonly description: string;
  /** The body's schema; the OpenAPI document itself is described by reference, not by a schema. */
  readonly schema?: z.ZodType;
  /** Response headers beyond those every answer of the route carries, and whether each is always sent. */
  readonly headers?: Readonly<Record<string, boolean>>;
}

export interface OperationSpec {
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tag: 'Service' | 'Charges' | 'Account' | 'Webhook endpoints' | 'Idempotency keys';
  /** Public routes answer without an API key. */
  readonly public?: true;
  readonly path?: z.ZodObject;
  readonly query?: z.ZodObject;
  readonly body?: z.ZodType;
  readonly idempotencyKey?: 'required' | 'optional';
  readonly success: readonly SuccessResponse[];
  /** Problems only this route's own logic answers; the rest follow from what the route is (problems.ts). */
  readonly ownProblems?: readonly ProblemSlug[];
}

const pathId = (kind: string, example: string) =>
  z.object({ id: z.string().meta({ description: `The ${kind}'s id.`, examples: [example] }) });

const chargeId = pathId('charge', 'ch_01J9Z8Q3X4N5V6W7Y8Z9A0B1C2');
const endpointId = pathId('webhook endpoint', 'we_01J9Z8Q3X4N5V6W7Y8Z9A0B1C2');

/** The document describing this API, served as it is committed (openapi.json). */
export const contractPath = '/openapi.json';

export const operations: Readonly<Record<ContractRouteKey, OperationSpec>> = {
  'GET /health': {
    operationId: 'getHealth',
    summary: 'Liveness',
    description: 'Answers without authentication and without touching a table.',
    tag: 'Service',
    public: true,
    success: [{ status: 200, description: 'The service is up.', schema: healthSchema }],
  },
  'GET /openapi.json': {
    operationId: 'getContract',
    summary: 'This OpenAPI document',
    description: 'The contract of this API, OpenAPI 3.1, without authentication.',
    tag: 'Service',
    public: true,
    success: [{ status: 200, description: 'The OpenAPI 3.1 document.', headers: { [headerNames.cacheControl]: true } }],
  },
  'POST /v1/charges': {
    operationId: 'createCharge',
    summary: 'Create a charge',
    description:
      'Charges a card once, however many times the request is retried with its Idempotency-Key. A declined card answers 402 with the failed charge embedded; that answer is stored and replayed like a success.',
    tag: 'Charges',
    body: createChargeSchema,
    idempotencyKey: 'required',
    success: [
      {
        status: 201,
        description: 'The charge succeeded.',
        schema: chargeSchema,
        headers: { [headerNames.location]: true },
      },
    ],
    ownProblems: ['card-declined', 'processor-unavailable'],
  },
  'GET /v1/charges': {
    operationId: 'listCharges',
    summary: 'List charges',
    description: 'Newest first.',
    tag: 'Charges',
    query: listQuerySchema,
    success: [{ status: 200, description: 'A page of charges.', schema: listOf(chargeSchema, z.literal('/v1/charges'), 'ChargeList') }],
  },
  'GET /v1/charges/{id}': {
    operationId: 'getCharge',
    summary: 'Retrieve a charge',
    tag: 'Charges',
    path: chargeId,
    success: [{ status: 200, description: 'The charge.', schema: chargeSchema }],
  },
  'POST /v1/charges/{id}/refunds': {
    operationId: 'createRefund',
    summary: 'Refund a charge',
    description: 'Refunds part or all of what remains of a succeeded charge, once, however many times the request is retried.',
    tag: 'Charges',
    path: chargeId,
    body: createRefundSchema,
    idempotencyKey: 'required',
    success: [{ status: 201, description: 'The refund succeeded.', schema: refundSchema }],
    ownProblems: ['amount-too-large', 'charge-not-refundable', 'charge-in-another-region', 'processor-unavailable'],
  },
  'GET /v1/balance': {
    operationId: 'getBalance',
    summary: 'Retrieve the balance',
    tag: 'Account',
    success: [{ status: 200, description: "The account's available balance per currency.", schema: balanceSchema }],
  },
  'GET /v1/events': {
    operationId: 'listEvents',
    summary: 'List events',
    description: `Newest first, kept for 30 days. Types: ${eventTypes.join(', ')}.`,
    tag: 'Account',
    query: eventsQuerySchema,
    success: [{ status: 200, description: 'A page of events.', schema: listOf(eventSchema, z.literal('/v1/events'), 'EventList') }],
  },
  'POST /v1/webhook_endpoints': {
    operationId: 'createWebhookEndpoint',
    summary: 'Create a webhook endpoint',
    description: 'The answer shows the signing secret, once; a replay of the request shows the endpoint without it.',
    tag: 'Webhook endpoints',
    body: createEndpointBody,
    idempotencyKey: 'optional',
    success: [{ status: 201, description: 'The endpoint, with its signing secret.', schema: createdWebhookEndpointSchema }],
    ownProblems: ['webhook-url-invalid'],
  },
  'GET /v1/webhook_endpoints': {
    operationId: 'listWebhookEndpoints',
    summary: 'List webhook endpoints',
    description: 'Newest first, without secrets.',
    tag: 'Webhook endpoints',
    query: endpointsQuerySchema,
    success: [
      {
        status: 200,
        description: 'A page of endpoints.',
        schema: listOf(webhookEndpointSchema, z.literal('/v1/webhook_endpoints'), 'WebhookEndpointList'),
      },
    ],
  },
  'DELETE /v1/webhook_endpoints/{id}': {
    operationId: 'deleteWebhookEndpoint',
    summary: 'Delete a webhook endpoint',
    description: 'Its pending deliveries are never sent.',
    tag: 'Webhook endpoints',
    path: endpointId,
    success: [{ status: 200, description: 'The endpoint is deleted.', schema: deletedWebhookEndpointSchema }],
  },
  'GET /v1/webhook_endpoints/{id}/deliveries': {
    operationId: 'listWebhookDeliveries',
    summary: "List an endpoint's deliveries",
    description: 'Newest first, each with every attempt.',
    tag: 'Webhook endpoints',
    path: endpointId,
    query: deliveriesQuerySchema,
    success: [
      {
        status: 200,
        description: 'A page of deliveries.',
        schema: listOf(
          deliverySchema,
          z.string().regex(/^\/v1\/webhook_endpoints\/we_[0-9A-HJKMNP-TV-Z]{26}\/deliveries$/),
          'WebhookDeliveryList',
        ),
      },
    ],
  },
  'POST /v1/webhook_endpoints/{id}/deliveries/redrive': {
    operationId: 'redriveWebhookDeliveries',
    summary: 'Resend failed deliveries',
    description:
      'Every failed delivery of the endpoint gets a new round of attempts; an endpoint disabled by a 410 is enabled again. At most 500 per request: has_more says to send another (with a new Idempotency-Key).',
    tag: 'Webhook endpoints',
    path: endpointId,
    body: emptyBody,
    idempotencyKey: 'optional',
    success: [{ status: 202, description: 'The failed deliveries are queued again.', schema: redriveResultSchema }],
  },
  'POST /v1/webhook_endpoints/{id}/rotate_secret': {
    operationId: 'rotateWebhookSecret',
    summary: "Rotate an endpoint's signing secret",
    description:
      'A new secret signs from now on; the previous one keeps signing alongside it for 24 hours (every webhook carries both signatures), so receivers switch when they like within that day.',
    tag: 'Webhook endpoints',
    path: endpointId,
    body: emptyBody,
    idempotencyKey: 'optional',
    success: [{ status: 200, description: 'The endpoint, with its new signing secret.', schema: rotatedWebhookEndpointSchema }],
  },
  'GET /v1/idempotency_keys/{key+}': {
    operationId: 'getIdempotencyKey',
    summary: 'Retrieve an Idempotency-Key',
    description:
      "Where a request sent with this key stands, and what it answered. A key never received, expired, or another account's is equally not found.",
    tag: 'Idempotency keys',
    path: z.object({
      key: z.string().meta({ description: 'The Idempotency-Key, percent-encoded.', examples: ['8e03978e-40d5-43e8-bc93-6894a57f9324'] }),
    }),
    success: [{ status: 200, description: 'The key.', schema: idempotencyKeySchema }],
    // The path's key is validated like the header's: 1-255 printable ASCII characters.
    ownProblems: ['validation-error'],
  },
};
