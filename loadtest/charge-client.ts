import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import type { ChargeBody, Exchange, KeyPlan, RequestRole } from './exchange.js';

export interface ChargeClientOptions {
  /** The API's base URL; a path (an API Gateway stage) is kept. */
  readonly apiUrl: string;
  readonly apiKey: string;
  /** Keep-alive connections; abandoned requests cost their connection, so keep some spare. */
  readonly connections: number;
  /** Transport timeout of a request that is not deliberately abandoned. */
  readonly requestTimeoutMs: number;
}

export interface SendOptions {
  readonly role: RequestRole;
  /** Abandon the request after this long: the client never sees its answer. */
  readonly cutOffMs?: number;
  /** Milliseconds since the run started, recorded with the exchange. */
  readonly sentAtMs: number;
}

export interface ChargeClient {
  send(plan: KeyPlan, body: ChargeBody, options: SendOptions): Promise<Exchange>;
  close(): Promise<void>;
}

const single = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

const retryAfterOf = (value: string | undefined): number | undefined =>
  value !== undefined && /^\d+$/.test(value.trim()) ? Number(value.trim()) : undefined;

/** A route of the API under its base URL, keeping the base's path (an API Gateway stage). */
export const apiUrlOf = (apiUrl: string, route: string): URL =>
  new URL(route.replace(/^\//, ''), apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`);

/** POST /v1/charges on one keep-alive pool, timing each exchange from dispatch to the last body byte. */
export const chargeClient = (options: ChargeClientOptions): ChargeClient => {
  const charges = apiUrlOf(options.apiUrl, '/v1/charges');
  const path = charges.pathname;
  const pool = new Pool(charges.origin, {
    connections: options.connections,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    headersTimeout: options.requestTimeoutMs,
    bodyTimeout: options.requestTimeoutMs,
  });
  const authorization = `Bearer ${options.apiKey}`;

  return {
    send: async (plan, body, { role, cutOffMs, sentAtMs }) => {
      const signal = cutOffMs === undefined ? undefined : AbortSignal.timeout(cutOffMs);
      const started = performance.now();
      try {
        const response = await pool.request({
          method: 'POST',
          path,
          headers: { authorization, 'content-type': 'application/json', 'idempotency-key': plan.key },
          body: JSON.stringify(body),
          ...(signal === undefined ? {} : { signal }),
        });
        const bytes = Buffer.from(await response.body.arrayBuffer());
        return {
          kind: 'answered',
          key: plan.key,
          role,
          sentAtMs,
          status: response.statusCode,
          replayed: single(response.headers['idempotent-replayed']) === 'true',
          contentType: single(response.headers['content-type']),
          location: single(response.headers.location),
          retryAfterSeconds: retryAfterOf(single(response.headers['retry-after'])),
          body: bytes,
          latencyMs: performance.now() - started,
        };
      } catch (error) {
        if (signal?.aborted === true) return { kind: 'cut-off', key: plan.key, role, sentAtMs };
        const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
        return {
          kind: 'transport-error',
          key: plan.key,
          role,
          sentAtMs,
          message: `${error instanceof Error ? error.message : String(error)}${cause}`,
          latencyMs: performance.now() - started,
        };
      }
    },
    close: () => pool.close(),
  };
};
