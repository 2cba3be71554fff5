import { z } from 'zod';
import { type AtomicCommit, type CommittableResponse, withAtomicCommit } from '@retrysafe/idempotency';
import { eventTypes } from '../events/outbox.js';
import type { RouteInput } from '../http/api-route.js';
import { problem, problemResponse } from '../http/problem.js';
import { listResponse, pageQuery } from '../http/paging.js';
import { type HttpResponse, jsonResponse } from '../http/types.js';
import { parseQuery } from '../http/validation.js';
import { newId, parseId, type WebhookEndpointId } from '../shared/ids.js';
import { endpointNotFound, webhookUrlInvalid } from './api-problems.js';
import { checkWebhookUrl, maxUrlLength, type Resolver } from './destination-policy.js';
import { type EndpointItem, endpointSortKey, rotatedSecrets } from './endpoint-record.js';
import type { EndpointStore } from './endpoint-store.js';
import { generateSecret } from './signing.js';
import { endpointView } from './views.js';
import { accountPartition } from '../shared/account-partition.js';

export interface EndpointApiDeps {
  readonly endpoints: EndpointStore;
  readonly resolve: Resolver;
  /** WEBHOOK_ALLOW_LOOPBACK: loopback destinations, local stack only. */
  readonly allowLoopback: boolean;
  /** Epoch milliseconds. */
  readonly now: () => number;
}

const enabledEventsSchema = z
  .array(z.union([z.literal('*'), z.enum(eventTypes)]))
  .min(1)
  .refine((events) => !events.includes('*') || events.length === 1, { message: '"*" already means every event; send it alone' })
  .transform((events) => [...new Set(events)])
  // "*" is Stripe's spelling, so integrations written against it keep working; it also covers
  // event types added later, which is what a merchant subscribing to everything means.
  .describe(`The event types to send: any of ${eventTypes.join(', ')}, or ["*"] alone for every type, including types added later.`);

export const createEndpointBody = z.strictObject({
  url: z.string().min(1).max(maxUrlLength),
  enabled_events: enabledEventsSchema,
});
export type CreateEndpointBody = z.infer<typeof createEndpointBody>;

/** Routes that take no body still reject one with fields, rather than ignore what the client meant. */
export const emptyBody = z.strictObject({});
export type EmptyBody = z.infer<typeof emptyBody>;

/** The path's endpoint id; a malformed one is as absent as another tenant's. */
export const pathEndpointId = (input: RouteInput<unknown>): WebhookEndpointId => {
  const id = parseId('webhookEndpoint', input.event.pathParameters?.id ?? '');
  if (id === undefined) throw endpointNotFound();
  return id;
};

export const requireEndpoint = async (endpoints: EndpointStore, input: RouteInput<unknown>): Promise<EndpointItem> => {
  const endpoint = await endpoints.get(input.tenant, pathEndpointId(input));
  if (endpoint === undefined) throw endpointNotFound();
  return endpoint;
};

/**
 * An answer that shows a signing secret, in this answer only. Its idempotency record keeps the
 * answer without the secret: records live for a day and outlive the endpoint, and a secret in
 * them would be a credential anyone replaying the key could read. A replay shows the endpoint;
 * a client that lost the secret rotates it.
 */
const showingSecretOnce = (
  statusCode: 200 | 201,
  body: object,
  secret: string,
  commit: Omit<AtomicCommit, 'storedAs'>,
): CommittableResponse =>
  withAtomicCommit(jsonResponse(statusCode, { ...body, secret }), { ...commit, storedAs: jsonResponse(statusCode, body) });

/**
 * POST /v1/webhook_endpoints. The endpoint is written together with the idempotency record,
 * so a retried request gets the same endpoint back, never a second endpoint.
 */
export const createEndpoint = async (deps: EndpointApiDeps, input: RouteInput<CreateEndpointBody>): Promise<CommittableResponse> => {
  const checked = await checkWebhookUrl(input.body.url, { allowLoopback: deps.allowLoopback }, deps.resolve);
  if (!checked.ok) throw webhookUrlInvalid(checked.reason);
  const nowMs = deps.now();
  const id = newId('webhookEndpoint', nowMs);
  const secret = generateSecret();
  const endpoint: EndpointItem = {
    pk: accountPartition(input.tenant),
    sk: endpointSortKey(id),
    id,
    accountId: input.tenant,
    url: checked.value.url.href,
    enabledEvents: input.body.enabled_events,
    status: 'enabled',
    secrets: [{ secret }],
    version: 0,
    created: Math.floor(nowMs / 1000),
  };
  return showingSecretOnce(201, endpointView(endpoint), secret, { writes: [deps.endpoints.createWrite(endpoint)] });
};

export const endpointsQuerySchema = z.strictObject(pageQuery('webhook endpoint', (raw) => parseId('webhookEndpoint', raw)));

/** GET /v1/webhook_endpoints?limit=&starting_after=: newest first, without secrets. */
export const listEndpoints = async (deps: EndpointApiDeps, input: RouteInput<unknown>): Promise<HttpResponse> => {
  const { limit, starting_after: after } = parseQuery(endpointsQuerySchema, input.event);
  const page = await deps.endpoints.page(input.tenant, { limit, ...(after === undefined ? {} : { after }) });
  return listResponse('/v1/webhook_endpoints', page.endpoints.map(endpointView), page.hasMore);
};

/** DELETE /v1/webhook_endpoints/{id}: pending deliveries die with it (the dispatcher finds no endpoint). */
export const deleteEndpoint = async (deps: EndpointApiDeps, input: RouteInput<unknown>): Promise<HttpResponse> => {
  const deleted = await deps.endpoints.delete(input.tenant, pathEndpointId(input));
  if (deleted === undefined) throw endpointNotFound();
  return jsonResponse(200, { id: deleted.id, object: 'webhook_endpoint', deleted: true });
};

/**
 * POST /v1/webhook_endpoints/{id}/rotate_secret: a new secret signs from now on, and the
 * previous one keeps signing alongside it for 24 hours (every webhook carries both signatures),
 * so receivers can switch whenever they like within that day.
 */
export const rotateSecret = async (deps: EndpointApiDeps, input: RouteInput<EmptyBody>): Promise<CommittableResponse> => {
  const endpoint = await requireEndpoint(deps.endpoints, input);
  const nowMs = deps.now();
  const secret = generateSecret();
  const secrets = rotatedSecrets(endpoint.secrets, secret, nowMs);
  const previousExpiry = secrets[1]?.expiresAt;
  const body = {
    ...endpointView(endpoint),
    previous_secret_expires_at: previousExpiry === undefined ? null : Math.floor(previousExpiry / 1000),
  };
  return showingSecretOnce(200, body, secret, {
    writes: [deps.endpoints.rotateWrite(endpoint, secrets)],
    onRejected: ({ item }) =>
      problemResponse(
        item === undefined
          ? endpointNotFound().problem
          : problem('service-unavailable', { detail: 'Another rotation of this endpoint committed first; retry to rotate again.' }),
      ),
  });
};
