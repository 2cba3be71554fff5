import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { z } from 'zod';
import { ProblemError } from '../http/problem.js';
import { decodeJson } from '../http/json-body.js';
import { headerValue } from '../http/types.js';
import { fieldProblem, parseWith } from '../http/validation.js';
import { fingerprintInput, headerValues } from '../idempotency/event-shape.js';
import { requestFingerprint } from '../idempotency/fingerprint.js';
import { type IdempotencyKey, parseIdempotencyKeyHeader } from '../idempotency/key-header.js';
import type { ChargeRequest } from './charge.js';
import { type TokenBehaviour, testTokenNames, tokenBehaviour } from './test-tokens.js';

/** Stripe's ceiling for a single charge, in minor units. */
export const maxAmount = 99_999_999;

const chargeBodySchema = z.strictObject({
  amount: z.number().int('must be an integer number of minor units').min(1).max(maxAmount),
  currency: z.string().regex(/^[a-z]{3}$/, 'must be a lowercase ISO 4217 code such as "usd"'),
  source: z.string().min(1).max(255),
  description: z.string().max(1000).optional(),
});

export interface ValidChargeRequest {
  readonly idempotencyKey: IdempotencyKey;
  /** Identifies the request behind the key, as Retrysafe's own idempotency does. */
  readonly fingerprint: string;
  readonly request: ChargeRequest;
  readonly behaviour: TokenBehaviour;
}

const idempotencyKeyOf = (event: APIGatewayProxyEventV2): IdempotencyKey => {
  const header = parseIdempotencyKeyHeader(headerValues(event, 'idempotency-key'));
  if (header.kind === 'absent') {
    throw new ProblemError('idempotency-key-missing', {
      detail: 'Every POST /charges must carry an Idempotency-Key header so a retry can never charge twice.',
    });
  }
  if (header.kind === 'invalid')
    throw new ProblemError('idempotency-key-invalid', { detail: `The Idempotency-Key is invalid: ${header.reason}.` });
  return header.key;
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
  return {
    idempotencyKey,
    fingerprint: requestFingerprint(fingerprintInput(event)),
    request: { amount, currency, source, description: description ?? null },
    behaviour,
  };
};
