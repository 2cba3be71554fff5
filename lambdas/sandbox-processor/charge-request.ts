import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { z } from 'zod';
import { fieldProblem, parseWith } from '../http/validation.js';
import type { ChargeRequest } from './charge.js';
import { type IdempotentPost, readIdempotentPost } from './idempotent-post.js';
import { metadataSchema } from './metadata.js';
import { type TokenBehaviour, testTokenNames, tokenBehaviour } from './test-tokens.js';

/** Stripe's ceiling for a single charge, in minor units. */
const maxAmount = 99_999_999;

/** A charge's or a refund's amount. */
export const amountSchema = z.number().int('must be an integer number of minor units').min(1).max(maxAmount);

const chargeBodySchema = z.strictObject({
  amount: amountSchema,
  currency: z.string().regex(/^[a-z]{3}$/, 'must be a lowercase ISO 4217 code such as "usd"'),
  source: z.string().min(1).max(255),
  description: z.string().max(1000).optional(),
  metadata: metadataSchema.optional(),
});

export interface ValidChargeRequest extends Omit<IdempotentPost, 'json'> {
  readonly request: ChargeRequest;
  readonly behaviour: TokenBehaviour;
}

/**
 * Validates everything before the key is looked at, so a rejected request leaves no trace.
 * An unknown token is a 400, as Stripe answers `resource_missing` for a token it does not
 * know: the card was never presented, so there is nothing to decline.
 */
export const parseChargeRequest = (event: APIGatewayProxyEventV2): ValidChargeRequest => {
  const { json, ...post } = readIdempotentPost(event, { path: '/charges', bodyShape: '{amount, currency, source}' });
  const { amount, currency, source, description, metadata } = parseWith(chargeBodySchema, json);
  const behaviour = tokenBehaviour(source);
  if (behaviour === undefined) {
    throw fieldProblem('source', `no such token "${source}"; the sandbox knows ${testTokenNames.join(', ')}.`);
  }
  return { ...post, request: { amount, currency, source, description: description ?? null, metadata: metadata ?? {} }, behaviour };
};
