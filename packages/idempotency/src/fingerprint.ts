import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

export interface FingerprintInput {
  readonly method: string;
  /** The route template (`/v1/charges/{id}`), so the same key on two routes never matches. */
  readonly route: string;
  /**
   * The values filled into the template. The template alone would make a refund of charge A
   * and a refund of charge B, sent with one key and the same body, look like one request.
   */
  readonly pathParameters?: Readonly<Record<string, string | undefined>> | null;
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
 * SHA-256 over the method, the route template, its path parameters and the canonical body. It is computed once, from
 * the event as it arrived, so a body parser that later rewrites `event.body` cannot change it.
 */
export const requestFingerprint = (input: FingerprintInput): string =>
  createHash('sha256')
    .update(
      `${input.method.toUpperCase()}\n${input.route}\n${canonicalJson(input.pathParameters ?? {})}\n${canonicalBody(input.body)}`,
      'utf8',
    )
    .digest('hex');
