import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { z } from 'zod';
import { parseWith } from '../http/validation.js';
import { chargeIds, type ProcessorChargeId } from './charge.js';
import { amountSchema } from './charge-request.js';
import { type IdempotentPost, readIdempotentPost } from './idempotent-post.js';
import { metadataSchema } from './metadata.js';
import type { RefundRequest } from './refund.js';

const refundBodySchema = z.strictObject({
  charge: z.custom<ProcessorChargeId>(
    (raw) => typeof raw === 'string' && chargeIds.parse(raw) !== undefined,
    'must be the id of a processor charge, "pch_" and 26 characters',
  ),
  amount: amountSchema,
  metadata: metadataSchema.optional(),
});

export interface ValidRefundRequest extends Omit<IdempotentPost, 'json'> {
  readonly request: RefundRequest;
}

/**
 * Validates everything that needs no read before the key is looked at. Whether the charge
 * exists and has enough left is the refund's outcome, stored under its key like any 4xx.
 */
export const parseRefundRequest = (event: APIGatewayProxyEventV2): ValidRefundRequest => {
  const { json, ...post } = readIdempotentPost(event, { path: '/refunds', bodyShape: '{charge, amount}' });
  const { charge, amount, metadata } = parseWith(refundBodySchema, json);
  return { ...post, request: { charge, amount, metadata: metadata ?? {} } };
};
