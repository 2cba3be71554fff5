import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { z } from 'zod';
import { ProblemError } from '../http/problem.js';
import { decodeJson } from '../http/json-body.js';
import { headerValue } from '../http/types.js';
import { fieldProblem, parseWith } from '../http/validation.js';
import type { ChargeRequest, ProcessorIdempotencyKey } from './charge.js';
import { type TokenBehaviour, testTokenNames, tokenBehaviour } from './test-tokens.js';

export const maxKeyLength = 255;
/** Stripe's ceiling for a single charge, in minor units. */
export const maxAmount = 99_999_999;

const chargeBodySchema = z.strictObject({
  amount: z.number().int('must be an integer number of minor units').min(1).max(maxAmount),
  currency: z.string().regex(/^[a-z]{3}$/, 'must be a lowercase ISO 4217 code such as "usd"'),
  source: z.string().min(1).max(255),
  description: z.string().max(1000).optional(),
});

export interface ValidChargeRequest {
  readonly idempotencyKey: ProcessorIdempotencyKey;
  readonly request: ChargeRequest;
  readonly behaviour: TokenBehaviour;
}

const printableAscii = /^[\x20-\x7e]+$/;

const idempotencyKeyOf = (event: APIGatewayProxyEventV2): ProcessorIdempotencyKey => {
  const raw = headerValue(event.headers, 'idempotency-key');
  if (raw === undefined) {
    throw new ProblemError('idempotency-key-missing', {
      detail: 'Every POST /charges must carry an Idempotency-Key header so a retry can never charge twice.',
    });
  }
  if (raw.length === 0 || raw.length > maxKeyLength || !printableAscii.test(raw)) {
    throw new ProblemError('idempotency-key-invalid', { detail: `The key must be 1-${maxKeyLength} printable ASCII characters.` });
  }
  return raw as ProcessorIdempotencyKey;
};

const jsonOf = (event: APIGatewayProxyEventV2): unknown => {
  const text = event.body === undefined ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (text.trim() === '') throw new ProblemError('validation-error', { detail: 'A JSON body {amount, currency, source} is required.' });
  return decodeJson(text, headerValue(event.headers, 'content-type'));
};

/**
 * Validates everything before the key is looked at, so a rejected request leaves no trace.
 * An unknown token is a 400, as Stripe answers `resource_missing` for a token it does not
 * know: the card was never presented, so there is nothing to decline.
 */
export const parseChargeRequest = (event: APIGatewayProxyEventV2): ValidChargeRequest => {
  const idempotencyKey = idempotencyKeyOf(event);
  const { amount, currency, source, description } = parseWith(chargeBodySchema, jsonOf(event));
  const behaviour = tokenBehaviour(source);
  if (behaviour === undefined) {
    throw fieldProblem('source', `no such token "${source}"; the sandbox knows ${testTokenNames.join(', ')}.`);
  }
  return { idempotencyKey, request: { amount, currency, source, description: description ?? null }, behaviour };
};
