import { z } from 'zod';
import { maxKeyLength } from '@retrysafe/idempotency';
import { shouldRetryHeader } from '../http/problem-types.js';
import { policyName } from '../rate-limit/headers.js';
import { settings } from '../settings.js';

/** The request and response header fields the contract documents, each described once. */

const idempotencyTtlHours = (settings.IDEMPOTENCY_TTL_SECONDS.default as { readonly value: number }).value / 3600;

export const idempotencyKeyHeader = (required: boolean) =>
  z
    .string()
    .regex(/^[\x20-\x7E]+$/)
    .meta({
      description: [
        `A key you choose for this request (a UUID, say): 1-${maxKeyLength} printable ASCII characters, sent bare or as an RFC 8941 quoted string (both spellings name the same key).`,
        'Send the same key when you retry: the request runs at most once, and every retry gets its answer back (marked Idempotent-Replayed: true).',
        `Keys are scoped to your account and remembered for ${idempotencyTtlHours} hours by default (the IDEMPOTENCY_TTL_SECONDS setting), counted from the first request; a key reused with a different method, path or body is refused (422).`,
        required ? 'Required: this request moves money.' : 'Optional: without a key, a retry may repeat the request.',
      ].join(' '),
      examples: ['8e03978e-40d5-43e8-bc93-6894a57f9324'],
      param: { in: 'header', name: 'Idempotency-Key', required },
    });

/** Header field names, as the code sends them. */
export const headerNames = {
  retryAfter: 'Retry-After',
  shouldRetry: shouldRetryHeader,
  replayed: 'Idempotent-Replayed',
  rateLimitPolicy: 'RateLimit-Policy',
  rateLimit: 'RateLimit',
  location: 'Location',
  wwwAuthenticate: 'WWW-Authenticate',
  acceptEncoding: 'Accept-Encoding',
  cacheControl: 'Cache-Control',
} as const;

export const headerSchemas: Readonly<Record<string, z.ZodType<string>>> = {
  [headerNames.retryAfter]: z
    .string()
    .regex(/^\d+$/)
    .meta({ description: 'Seconds to wait before retrying (RFC 9110 §10.2.3).', examples: ['1'] }),
  [headerNames.shouldRetry]: z.enum(['true', 'false']).meta({
    description:
      'Whether retrying this request unchanged (same Idempotency-Key) can succeed: true for transient problems (409 idempotency-key-in-use, 408, 429, 503 and the like), false when the request itself must change.',
  }),
  [headerNames.replayed]: z.literal('true').meta({
    description:
      "Present on an answer replayed from the Idempotency-Key's record: the request ran before, and this is its original answer.",
  }),
  [headerNames.rateLimitPolicy]: z.string().meta({
    description: `The account's quota (draft-ietf-httpapi-ratelimit-headers): q requests per w seconds; retrysafe-burst when the bucket holds a different burst.`,
    examples: [`"${policyName}";q=100;w=60`],
  }),
  [headerNames.rateLimit]: z.string().meta({
    description:
      'What remains of the quota: r requests now, t seconds until the next one is added. Absent when the rate-limit store could not be read.',
    examples: [`"${policyName}";r=42;t=1`],
  }),
  [headerNames.location]: z
    .string()
    .meta({ description: 'The path of the charge.', examples: ['/v1/charges/ch_01J9Z8Q3X4N5V6W7Y8Z9A0B1C2'] }),
  [headerNames.wwwAuthenticate]: z
    .string()
    .meta({ description: 'The authentication scheme to use (RFC 9110 §11.6.1).', examples: ['Bearer realm="retrysafe"'] }),
  [headerNames.acceptEncoding]: z
    .string()
    .meta({ description: 'On a 415 for a compressed body: the content codings accepted.', examples: ['identity'] }),
  [headerNames.cacheControl]: z.string().meta({ description: 'How long the document may be cached.' }),
};

/** The schema of a documented header, optional unless `required`. */
export const header = (name: string, required: boolean): z.ZodType => {
  const schema = headerSchemas[name];
  if (schema === undefined) throw new Error(`The contract documents no header ${name}`);
  return required ? schema : schema.optional();
};
