import type { MiddlewareObj } from '@middy/core';
import type { ZodType } from 'zod';
import { bodyText } from '../idempotency/event-shape.js';
import { ProblemError } from './problem.js';
import { parseWith } from './validation.js';
import { type ApiGatewayEvent, headerValue } from './types.js';

/** The event after body validation: `body` holds the parsed value, `rawBody` what arrived. */
export type ParsedBodyEvent<TBody> = Omit<ApiGatewayEvent, 'body'> & { body: TBody; rawBody: string | null };

export const maxBodyBytes = 64 * 1024;

const jsonMediaType = /^application\/([\w.+-]+\+)?json\b/i;

/**
 * A request body's text as JSON: refused when too large, not declared as JSON, or not JSON at
 * all. An empty body is `{}`, so a schema of optional fields accepts it.
 */
export const decodeJson = (text: string | null, contentType: string | undefined): unknown => {
  if (text === null || text.trim() === '') return {};
  if (Buffer.byteLength(text, 'utf8') > maxBodyBytes) {
    throw new ProblemError('payload-too-large', { detail: `Bodies are limited to ${maxBodyBytes} bytes.` });
  }
  if (contentType !== undefined && !jsonMediaType.test(contentType)) throw new ProblemError('unsupported-media-type');
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
    const body = parseWith(schema, decodeJson(raw, headerValue(request.event.headers, 'content-type')));
    const event = request.event as unknown as ParsedBodyEvent<TBody>;
    event.rawBody = raw;
    event.body = body;
  },
});
