import type { MiddlewareObj } from '@middy/core';
import type { ZodType } from 'zod';
import { ProblemError } from './problem.js';
import { validationError } from './validation.js';
import { type ApiGatewayEvent, headerValue } from './types.js';

/** The event after body validation: `body` holds the parsed value, `rawBody` what arrived. */
export type ParsedBodyEvent<TBody> = Omit<ApiGatewayEvent, 'body'> & { body: TBody; rawBody: string | null };

export const maxBodyBytes = 64 * 1024;

const rawBodyOf = (event: ApiGatewayEvent): string | null =>
  event.body === null ? null : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;

/**
 * Parses and validates a JSON body against a zod schema before anything is claimed or written,
 * so a rejected body leaves no trace and a corrected request may reuse its Idempotency-Key.
 * The raw text stays on `rawBody` for the idempotency fingerprint.
 */
export const jsonBody = <TBody>(schema: ZodType<TBody>): MiddlewareObj<ApiGatewayEvent, unknown> => ({
  before: (request) => {
    const raw = rawBodyOf(request.event);
    if (raw !== null && Buffer.byteLength(raw, 'utf8') > maxBodyBytes) {
      throw new ProblemError({
        status: 413,
        slug: 'payload-too-large',
        title: 'The request body is too large',
        detail: `Bodies are limited to ${maxBodyBytes} bytes.`,
      });
    }
    const contentType = headerValue(request.event.headers, 'content-type');
    if (raw !== null && raw.trim() !== '' && contentType !== undefined && !/^application\/([\w.+-]+\+)?json\b/i.test(contentType)) {
      throw new ProblemError({
        status: 415,
        slug: 'unsupported-media-type',
        title: 'Unsupported media type',
        detail: 'Send the body as application/json.',
      });
    }
    let parsed: unknown = {};
    if (raw !== null && raw.trim() !== '') {
      try {
        parsed = JSON.parse(raw);
      } catch {
        throw new ProblemError({
          status: 400,
          slug: 'validation-error',
          title: 'The request body is invalid',
          detail: 'The body is not valid JSON.',
        });
      }
    }
    const result = schema.safeParse(parsed);
    if (!result.success) throw validationError(result.error, 'The request body is invalid');
    const event = request.event as unknown as ParsedBodyEvent<TBody>;
    event.rawBody = raw;
    event.body = result.data;
  },
});
