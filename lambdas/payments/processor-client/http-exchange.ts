import type { ProcessorUnavailable } from './card-processor.js';
import { unavailable } from './unavailable.js';
import type { RequestSigner } from './sigv4.js';

export interface SandboxClientOptions {
  /** The processor's base URL (its function URL when deployed). */
  readonly baseUrl: string;
  /** How long to wait for a complete response before reporting unavailable(timeout). */
  readonly timeoutMs: number;
  /** Authenticates each request; absent, requests go unsigned (the local processor). */
  readonly signRequest?: RequestSigner;
}

export interface ProcessorRequest {
  readonly method: 'GET' | 'POST';
  /** Relative to the base URL, e.g. `charges`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  /** Sent as JSON with the key, for a POST. */
  readonly post?: { readonly body: unknown; readonly idempotencyKey: string };
}

export interface ReceivedResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

export type Exchange = (request: ProcessorRequest, signal?: AbortSignal) => Promise<ReceivedResponse | ProcessorUnavailable>;

/**
 * One signed request and its complete response. The timeout covers the whole exchange, body
 * included, so a response held back past it counts as lost even if its headers arrived.
 */
export const httpExchange = (options: SandboxClientOptions): Exchange => {
  const base = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
  return async ({ method, path, query = {}, post }, signal) => {
    const url = new URL(path, base);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    const body = post === undefined ? '' : JSON.stringify(post.body);
    const unsigned: Record<string, string> =
      post === undefined ? {} : { 'content-type': 'application/json', 'idempotency-key': post.idempotencyKey };
    const headers = options.signRequest === undefined ? unsigned : await options.signRequest({ method, url, headers: unsigned, body });
    const timeout = AbortSignal.timeout(options.timeoutMs);
    try {
      const response = await fetch(url, {
        method,
        headers,
        ...(post === undefined ? {} : { body }),
        signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
      });
      return { status: response.status, headers: response.headers, text: await response.text() };
    } catch (error) {
      signal?.throwIfAborted();
      if (timeout.aborted) return unavailable('timeout', `no response within ${options.timeoutMs} ms`);
      const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
      return unavailable('network', `${error instanceof Error ? error.message : String(error)}${cause}`);
    }
  };
};
