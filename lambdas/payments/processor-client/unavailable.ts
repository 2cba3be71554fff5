import type { ProcessorUnavailable, UnavailableReason } from './card-processor.js';

/** Used when a response names no Retry-After, and for timeouts and network failures. */
const defaultRetryAfterSeconds = 1;

const retryAfterSeconds = (header: string | null): number =>
  header !== null && /^\d+$/.test(header.trim()) ? Number(header.trim()) : defaultRetryAfterSeconds;

export const unavailable = (reason: UnavailableReason, detail: string, retryAfter: string | null = null): ProcessorUnavailable => ({
  kind: 'unavailable',
  reason,
  retryAfterSeconds: retryAfterSeconds(retryAfter),
  detail,
});

/**
 * A status that is no final answer to the call that received it: 409 (the key's request is in
 * progress), 429, and anything else (a 5xx, or a 401, 403 or route 404 from a misconfigured
 * processor). Nothing may be concluded from it, so the caller asks again later.
 */
export const unavailableFor = ({ status, headers }: { readonly status: number; readonly headers: Headers }): ProcessorUnavailable => {
  const retryAfter = headers.get('retry-after');
  if (status === 409) return unavailable('conflict', 'HTTP 409: the key is in use by a request in progress', retryAfter);
  if (status === 429) return unavailable('throttled', 'HTTP 429', retryAfter);
  return unavailable('server-error', `HTTP ${status}`, retryAfter);
};
