import { z } from 'zod';
import type { CardProcessor, ProcessorChargeId, ProcessorChargeOutcome, UnavailableReason } from './card-processor.js';
import type { RequestSigner } from './sigv4.js';

export interface SandboxClientOptions {
  /** The processor's base URL (its function URL when deployed). */
  readonly baseUrl: string;
  /** How long to wait for a complete response before reporting unavailable(timeout). */
  readonly timeoutMs: number;
  /** Authenticates each request; absent, requests go unsigned (the local processor). */
  readonly signRequest?: RequestSigner;
}

/** Used when a response names no Retry-After, and for timeouts and network failures. */
export const defaultRetryAfterSeconds = 1;

const chargeBody = z.discriminatedUnion('status', [
  z.object({ object: z.literal('processor_charge'), id: z.string().regex(/^pch_/), status: z.literal('succeeded') }),
  z.object({
    object: z.literal('processor_charge'),
    id: z.string().regex(/^pch_/),
    status: z.literal('declined'),
    decline_code: z.string().min(1),
  }),
]);

const problemBody = z.object({ title: z.string().optional(), detail: z.string().optional(), field: z.string().optional() });

const retryAfterSeconds = (header: string | null): number =>
  header !== null && /^\d+$/.test(header.trim()) ? Number(header.trim()) : defaultRetryAfterSeconds;

const unavailable = (reason: UnavailableReason, detail: string, retryAfter: string | null = null): ProcessorChargeOutcome => ({
  kind: 'unavailable',
  reason,
  retryAfterSeconds: retryAfterSeconds(retryAfter),
  detail,
});

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
};

interface ReceivedResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

/** The outcome a complete response stands for; the charge object, not the status, decides success. */
const outcomeOf = ({ status, headers, text }: ReceivedResponse): ProcessorChargeOutcome => {
  if ((status >= 200 && status < 300) || status === 402) {
    const charge = chargeBody.safeParse(parseJson(text));
    if (!charge.success) return unavailable('invalid-response', `HTTP ${status} without a processor_charge body`);
    const processorChargeId = charge.data.id as ProcessorChargeId;
    const replayed = headers.get('idempotent-replayed') === 'true';
    return charge.data.status === 'succeeded'
      ? { kind: 'succeeded', processorChargeId, replayed }
      : { kind: 'declined', processorChargeId, declineCode: charge.data.decline_code, replayed };
  }
  if (status === 400 || status === 422) {
    const problem = problemBody.safeParse(parseJson(text));
    const detail = (problem.success ? (problem.data.detail ?? problem.data.title) : undefined) ?? `HTTP ${status}`;
    return {
      kind: 'rejected',
      reason: status === 422 ? 'idempotency-key-reused' : 'invalid-request',
      detail,
      ...(problem.success && problem.data.field !== undefined ? { field: problem.data.field } : {}),
    };
  }
  const retryAfter = headers.get('retry-after');
  if (status === 409) return unavailable('conflict', 'HTTP 409: the key is in use by a request in progress', retryAfter);
  if (status === 429) return unavailable('throttled', 'HTTP 429', retryAfter);
  return unavailable('server-error', `HTTP ${status}`, retryAfter);
};

const chargesUrl = (baseUrl: string): URL => new URL('charges', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);

/**
 * Retrysafe's client for the sandbox processor. The timeout covers the whole exchange, body
 * included, so a response held back past it counts as lost even if its headers arrived.
 */
export const sandboxProcessorClient = (options: SandboxClientOptions): CardProcessor => {
  const url = chargesUrl(options.baseUrl);
  return {
    charge: async ({ amount, currency, source, description, idempotencyKey }, signal) => {
      const body = JSON.stringify({ amount, currency, source, ...(description === undefined ? {} : { description }) });
      const unsigned = { 'content-type': 'application/json', 'idempotency-key': idempotencyKey };
      const headers =
        options.signRequest === undefined ? unsigned : await options.signRequest({ method: 'POST', url, headers: unsigned, body });
      const timeout = AbortSignal.timeout(options.timeoutMs);
      let received: ReceivedResponse;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers,
          body,
          signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
        });
        received = { status: response.status, headers: response.headers, text: await response.text() };
      } catch (error) {
        signal?.throwIfAborted();
        if (timeout.aborted) return unavailable('timeout', `no response within ${options.timeoutMs} ms`);
        const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
        return unavailable('network', `${error instanceof Error ? error.message : String(error)}${cause}`);
      }
      return outcomeOf(received);
    },
  };
};
