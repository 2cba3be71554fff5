import type { MiddlewareObj } from '@middy/core';
import type { ZodType } from 'zod';
import { bodyText } from '@retrysafe/idempotency';
import { ProblemError } from './problem.js';
import { parseWith } from './validation.js';
import { type ApiGatewayEvent, headerValue } from './types.js';

/** The event after body validation: `body` holds the parsed value, `rawBody` what arrived. */
export type ParsedBodyEvent<TBody> = Omit<ApiGatewayEvent, 'body'> & { body: TBody; rawBody: string | null };

export const maxBodyBytes = 64 * 1024;

const jsonMediaType = /^application\/([\w.+-]+\+)?json\b/i;

/**
 * Bodies are at most 64 KiB of JSON, so compression saves clients little, while decoding would
 * add a decompression bomb to guard and a second byte form of every body to fingerprint.
 */
const identityCoding = /^\s*(identity\s*)?$/i;

/**
 * A request body's text as JSON: refused when too large, not declared as JSON, or not JSON at
 * all. An empty body is `{}`, so a schema of optional fields accepts it.
 */
export const decodeJson = (text: string | null, contentType: string | undefined, contentEncoding: string | undefined): unknown => {
  if (text === null || text.trim() === '') return {};
  if (Buffer.byteLength(text, 'utf8') > maxBodyBytes) {
    throw new ProblemError('payload-too-large', { detail: `Bodies are limited to ${maxBodyBytes} bytes.` });
  }
  if (contentType !== undefined && !jsonMediaType.test(contentType)) throw new ProblemError('unsupported-media-type');
  if (contentEncoding !== undefined && !identityCoding.test(contentEncoding)) {
    // RFC 9110 §15.5.16: a 415 for a content coding says which codings are accepted.
    throw new ProblemError('unsupported-media-type', {
      detail: `Send the body uncompressed: Content-Encoding ${contentEncoding.trim()} is not accepted.`,
      headers: { 'Accept-Encoding': 'identity' },
    });
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ProblemError('validation-error', { detail: 'The body is not valid JSON.' });
  }
};

/**
 * Parses and validates a JSON body against a zod schema before anything is claimed or written,
 * so a rejected body leaves no trace and a corrected request may reuse its Idempotency-Key.
 * The text as received (base64 decoded once, here) stays on `rawBody` for the idempotency
 * fingerprint, which must not decode it again.
 */
export const jsonBody = <TBody>(schema: ZodType<TBody>): MiddlewareObj<ApiGatewayEvent, unknown> => ({
  before: (request) => {
    const received = bodyText(request.event);
    const raw = typeof received === 'string' ? received : null;
    const headers = request.event.headers;
    const body = parseWith(schema, decodeJson(raw, headerValue(headers, 'content-type'), headerValue(headers, 'content-encoding')));
    const event = request.event as unknown as ParsedBodyEvent<TBody>;
    event.rawBody = raw;
    event.body = body;
  },
});
