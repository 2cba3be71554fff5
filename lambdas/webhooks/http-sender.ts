import { performance } from 'node:perf_hooks';
import { Agent, errors, request } from 'undici';
import { DestinationRefusedError, guardedLookup } from './connect-guard.js';
import { type DestinationRules, parseWebhookUrl, type Resolver, systemResolver } from './destination-policy.js';
import type { AttemptResult } from './retry-policy.js';

export interface WebhookRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export type SentAttempt = AttemptResult & { readonly durationMs: number };

export interface WebhookSender {
  send(webhook: WebhookRequest): Promise<SentAttempt>;
  close(): Promise<void>;
}

export interface SenderOptions extends DestinationRules {
  readonly timeoutMs: number;
  readonly resolve?: Resolver;
  /** Epoch milliseconds; only used to turn an HTTP-date Retry-After into a delay. */
  readonly now?: () => number;
}

/** Receivers answer with anything; nothing of the body is used, so little of it is read. */
const maxResponseBodyBytes = 64 * 1024;

/**
 * Reads the response body to its end, or until enough of it has come to stop listening. A body
 * cut off by the attempt's timeout or the connection rejects: the receiver never finished its
 * answer, so the attempt failed, whatever its status line said.
 */
const readToEnd = async (body: AsyncIterable<Buffer>): Promise<void> => {
  let received = 0;
  for await (const chunk of body) {
    received += chunk.length;
    if (received > maxResponseBodyBytes) return;
  }
};

/** The HTTP-date format senders must generate; Date.parse alone would also take "-5" as a year. */
const imfFixdate = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** Retry-After is delta-seconds or an HTTP-date (RFC 9110 §10.2.3). */
export const parseRetryAfter = (value: string | string[] | undefined, nowMs: number): number | undefined => {
  const raw = (Array.isArray(value) ? value[0] : value)?.trim();
  if (raw === undefined) return undefined;
  if (/^\d{1,10}$/.test(raw)) return Number(raw) * 1000;
  if (!imfFixdate.test(raw)) return undefined;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
};

const causes = function* (error: unknown): Generator {
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    yield current;
    current = (current as { cause?: unknown }).cause;
  }
};

/** A short, stable description of why no response came back: stored with the attempt and shown to the merchant. */
const describeFailure = (error: unknown, timeoutMs: number): string => {
  for (const cause of causes(error)) {
    if (cause instanceof DestinationRefusedError) return `destination refused: ${cause.reason}`;
    if (cause instanceof errors.HeadersTimeoutError || cause instanceof errors.BodyTimeoutError) return `timeout after ${timeoutMs} ms`;
    if (cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError')) return `timeout after ${timeoutMs} ms`;
    if (cause instanceof errors.ConnectTimeoutError) return `connect timeout after ${timeoutMs} ms`;
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR' && /^[A-Z][A-Z_]+$/.test(code)) return `connection failed: ${code}`;
  }
  return 'connection failed';
};

/**
 * POSTs webhooks through one undici Agent whose every new connection resolves its host through
 * the destination guard. Redirects are not followed (undici's `request` never follows them), so
 * a 3xx is an answer like any other non-2xx: a failed attempt. The timeout covers the whole
 * exchange, connect to last byte.
 */
export const createSender = (options: SenderOptions): WebhookSender => {
  const resolve = options.resolve ?? systemResolver;
  const now = options.now ?? Date.now;
  const rules: DestinationRules = { allowLoopback: options.allowLoopback };
  const agents = {
    'https:': new Agent({ connect: { lookup: guardedLookup(resolve, 'https:', rules), timeout: options.timeoutMs } }),
    'http:': new Agent({ connect: { lookup: guardedLookup(resolve, 'http:', rules), timeout: options.timeoutMs } }),
  };

  const send = async (webhook: WebhookRequest): Promise<SentAttempt> => {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    // IP-literal hosts never reach the lookup, so they are checked here; the URL is fixed,
    // so this check cannot be raced.
    const parsed = parseWebhookUrl(webhook.url, rules);
    if (!parsed.ok) return { kind: 'error', error: `destination refused: ${parsed.reason}`, durationMs: elapsed() };
    try {
      const response = await request(parsed.value.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Retrysafe-Webhooks/1.0', ...webhook.headers },
        body: webhook.body,
        dispatcher: agents[parsed.value.scheme],
        signal: AbortSignal.timeout(options.timeoutMs),
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      });
      const retryAfterMs = parseRetryAfter(response.headers['retry-after'], now());
      await readToEnd(response.body);
      return { kind: 'response', status: response.statusCode, retryAfterMs, durationMs: elapsed() };
    } catch (error) {
      return { kind: 'error', error: describeFailure(error, options.timeoutMs), durationMs: elapsed() };
    }
  };

  return {
    send,
    close: async () => {
      await Promise.all([agents['https:'].close(), agents['http:'].close()]);
    },
  };
};
