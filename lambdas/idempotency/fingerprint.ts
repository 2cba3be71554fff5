import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

export interface FingerprintInput {
  readonly method: string;
  /** The route template (`/v1/charges/{id}`), so the same key on two routes never matches. */
  readonly route: string;
  /** The body exactly as received: a JSON text, a value some parser already produced, or nothing. */
  readonly body: unknown;
}

const canonicalBody = (body: unknown): string => {
  if (body === null || body === undefined) return '';
  if (typeof body !== 'string') return `json:${canonicalJson(body)}`;
  if (body.trim() === '') return '';
  try {
    return `json:${canonicalJson(JSON.parse(body))}`;
  } catch {
    // Not JSON: only the identical byte sequence is the same request.
    return `raw:${body}`;
  }
};

/**
 * SHA-256 over the method, the route template and the canonical body. It is computed once, from
 * the event as it arrived, so a body parser that later rewrites `event.body` cannot change it.
 */
export const requestFingerprint = (input: FingerprintInput): string =>
  createHash('sha256')
    .update(`${input.method.toUpperCase()}\n${input.route}\n${canonicalBody(input.body)}`, 'utf8')
    .digest('hex');
