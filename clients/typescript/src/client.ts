import createClient, { type Client } from 'openapi-fetch';
import {
  type Attempt,
  call,
  callKeyed,
  type CallOptions,
  type CreateOptions,
  type KeyedInit,
  realSleep,
  type RetrysafeResult,
  type Runtime,
  type Sleep,
} from './call.js';
import { isProblem } from './errors.js';
import { autoPage } from './paging.js';
import { defaultRetryPolicy, type RetryOptions } from './retry.js';
import type { components, operations, paths } from './schema.js';

type Schemas = components['schemas'];
export type Charge = Schemas['Charge'];
export type Refund = Schemas['Refund'];
export type Balance = Schemas['Balance'];
export type RetrysafeEvent = Schemas['Event'];
export type WebhookEndpoint = Schemas['WebhookEndpoint'];
export type WebhookDelivery = Schemas['WebhookDelivery'];
export type IdempotencyKeyState = Schemas['IdempotencyKey'];

type JsonBody<Operation> = Operation extends { requestBody?: { content: { 'application/json': infer Body } } } ? Body : never;
type Query<Operation> = Operation extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

export type CreateChargeParams = JsonBody<operations['createCharge']>;
export type CreateRefundParams = JsonBody<operations['createRefund']>;
export type CreateWebhookEndpointParams = JsonBody<operations['createWebhookEndpoint']>;
export type ListChargesParams = Query<operations['listCharges']>;
export type ListEventsParams = Query<operations['listEvents']>;
export type ListWebhookEndpointsParams = Query<operations['listWebhookEndpoints']>;
export type ListDeliveriesParams = Query<operations['listWebhookDeliveries']>;

/**
 * What became of a charge request, asked by its Idempotency-Key instead of POSTing again:
 * - `charged`: it completed with this charge (succeeded, or failed if the card was declined);
 * - `answered`: it completed without a charge (a problem was stored for the key);
 * - `pending`: the server is still finishing it (`in_progress`, or `in_recovery` after a lost
 *   processor answer); POST again with the same key to collect the result, or ask again later;
 * - `unknown`: the server has no such key: the request never arrived, or its record expired.
 *   Within the key's lifetime that means nothing was charged, and POSTing with the same key is safe.
 */
export type ChargeLookup =
  | { readonly state: 'charged'; readonly charge: Charge }
  | { readonly state: 'answered'; readonly status: number }
  | { readonly state: 'pending'; readonly key: IdempotencyKeyState }
  | { readonly state: 'unknown' };

export interface RetrysafeClientOptions {
  /** A secret API key, sent as a Bearer token. */
  readonly apiKey: string;
  /** E.g. http://127.0.0.1:3000 for `npm start`, or the deployed stage's URL. */
  readonly baseUrl: string;
  readonly retry?: RetryOptions;
  /** Injectable for tests and instrumentation; defaults to the global fetch. */
  readonly fetch?: (request: Request) => Promise<Response>;
  /** Uniform in [0, 1): the backoff's jitter. Defaults to Math.random. */
  readonly random?: () => number;
  readonly sleep?: Sleep;
  /** Milliseconds since the epoch; for the elapsed-time budget and Retry-After dates. */
  readonly now?: () => number;
}

/**
 * The Retrysafe API. Every call retries what a retry can fix (lost connections, timeouts,
 * 409 idempotency-key-in-use, 429, 503) with full-jitter backoff; every POST carries one
 * Idempotency-Key for all of its attempts, so no retry can charge twice.
 */
export class Retrysafe {
  readonly charges;
  readonly refunds;
  readonly balance;
  readonly events;
  readonly webhookEndpoints;
  readonly idempotencyKeys;

  constructor(options: RetrysafeClientOptions) {
    const api: Client<paths> = createClient<paths>({
      baseUrl: options.baseUrl,
      headers: { Authorization: `Bearer ${options.apiKey}` },
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    });
    const runtime: Runtime = {
      retry: { ...defaultRetryPolicy, ...options.retry },
      random: options.random ?? Math.random,
      sleep: options.sleep ?? realSleep,
      now: options.now ?? Date.now,
    };
    const read = <T>(callOptions: CallOptions | undefined, attempt: Attempt<T>) => call(runtime, undefined, callOptions ?? {}, attempt);
    const create = <T>(body: unknown, callOptions: CreateOptions | undefined, attempt: (init: KeyedInit) => ReturnType<Attempt<T>>) =>
      callKeyed(runtime, body, callOptions ?? {}, attempt);

    this.charges = {
      create: (params: CreateChargeParams, callOptions?: CreateOptions): Promise<RetrysafeResult<Charge>> =>
        create(params, callOptions, (init) => api.POST('/v1/charges', { body: params, ...init })),
      retrieve: (id: string, callOptions?: CallOptions): Promise<RetrysafeResult<Charge>> =>
        read(callOptions, (signal) => api.GET('/v1/charges/{id}', { params: { path: { id } }, signal })),
      list: (params?: ListChargesParams, callOptions?: CallOptions) =>
        read(callOptions, (signal) => api.GET('/v1/charges', { params: { query: params }, signal })),
      /** Every charge, newest first, page by page. */
      listAll: (params?: Omit<ListChargesParams, 'starting_after'>, callOptions?: CallOptions): AsyncGenerator<Charge, void, undefined> =>
        autoPage((startingAfter) => this.charges.list({ ...params, starting_after: startingAfter }, callOptions)),
      /** "Did my charge happen?" for a client whose POST got no answer: see {@link ChargeLookup}. */
      findByIdempotencyKey: async (idempotencyKey: string, callOptions?: CallOptions): Promise<ChargeLookup> => {
        let state: IdempotencyKeyState;
        try {
          state = (await this.idempotencyKeys.retrieve(idempotencyKey, callOptions)).data;
        } catch (error) {
          if (isProblem(error, 'not-found')) return { state: 'unknown' };
          throw error;
        }
        if (state.status !== 'completed' || state.response === null) return { state: 'pending', key: state };
        const resource = state.response.resource;
        if (resource?.object !== 'charge') return { state: 'answered', status: state.response.status };
        return { state: 'charged', charge: (await this.charges.retrieve(resource.id, callOptions)).data };
      },
    };

    this.refunds = {
      create: (chargeId: string, params: CreateRefundParams = {}, callOptions?: CreateOptions): Promise<RetrysafeResult<Refund>> =>
        create(params, callOptions, (init) =>
          api.POST('/v1/charges/{id}/refunds', { ...init, params: { ...init.params, path: { id: chargeId } }, body: params }),
        ),
    };

    this.balance = {
      retrieve: (callOptions?: CallOptions): Promise<RetrysafeResult<Balance>> =>
        read(callOptions, (signal) => api.GET('/v1/balance', { signal })),
    };

    this.events = {
      list: (params?: ListEventsParams, callOptions?: CallOptions) =>
        read(callOptions, (signal) => api.GET('/v1/events', { params: { query: params }, signal })),
      listAll: (
        params?: Omit<ListEventsParams, 'starting_after'>,
        callOptions?: CallOptions,
      ): AsyncGenerator<RetrysafeEvent, void, undefined> =>
        autoPage((startingAfter) => this.events.list({ ...params, starting_after: startingAfter }, callOptions)),
    };

    this.webhookEndpoints = {
      /** The answer carries the signing secret, this once: a replay of the same key shows the endpoint without it. */
      create: (params: CreateWebhookEndpointParams, callOptions?: CreateOptions) =>
        create(params, callOptions, (init) => api.POST('/v1/webhook_endpoints', { body: params, ...init })),
      list: (params?: ListWebhookEndpointsParams, callOptions?: CallOptions) =>
        read(callOptions, (signal) => api.GET('/v1/webhook_endpoints', { params: { query: params }, signal })),
      listAll: (
        params?: Omit<ListWebhookEndpointsParams, 'starting_after'>,
        callOptions?: CallOptions,
      ): AsyncGenerator<WebhookEndpoint, void, undefined> =>
        autoPage((startingAfter) => this.webhookEndpoints.list({ ...params, starting_after: startingAfter }, callOptions)),
      delete: (id: string, callOptions?: CallOptions) =>
        read(callOptions, (signal) => api.DELETE('/v1/webhook_endpoints/{id}', { params: { path: { id } }, signal })),
      deliveries: (id: string, params?: ListDeliveriesParams, callOptions?: CallOptions) =>
        read(callOptions, (signal) =>
          api.GET('/v1/webhook_endpoints/{id}/deliveries', { params: { path: { id }, query: params }, signal }),
        ),
      deliveriesAll: (
        id: string,
        params?: Omit<ListDeliveriesParams, 'starting_after'>,
        callOptions?: CallOptions,
      ): AsyncGenerator<WebhookDelivery, void, undefined> =>
        autoPage((startingAfter) => this.webhookEndpoints.deliveries(id, { ...params, starting_after: startingAfter }, callOptions)),
      /** Sends every failed delivery of the endpoint again. */
      redrive: (id: string, callOptions?: CreateOptions) =>
        create({}, callOptions, (init) =>
          api.POST('/v1/webhook_endpoints/{id}/deliveries/redrive', { ...init, params: { ...init.params, path: { id } }, body: {} }),
        ),
      rotateSecret: (id: string, callOptions?: CreateOptions) =>
        create({}, callOptions, (init) =>
          api.POST('/v1/webhook_endpoints/{id}/rotate_secret', { ...init, params: { ...init.params, path: { id } }, body: {} }),
        ),
    };

    this.idempotencyKeys = {
      /**
       * What the server knows of one of your keys: in progress, in recovery, or completed with
       * the resource it created. A 404 problem means never received, expired, or not yours.
       */
      retrieve: (key: string, callOptions?: CallOptions): Promise<RetrysafeResult<IdempotencyKeyState>> =>
        read(callOptions, (signal) => api.GET('/v1/idempotency_keys/{key}', { params: { path: { key } }, signal })),
    };
  }
}
