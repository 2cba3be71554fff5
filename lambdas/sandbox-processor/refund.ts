import type { IdempotencyKey } from '@retrysafe/idempotency';
import type { Brand } from '../shared/ids.js';
import type { ProcessorChargeId } from './charge.js';
import type { Metadata } from './metadata.js';
import { objectIds } from './object-ids.js';

export type ProcessorRefundId = Brand<string, 'ProcessorRefundId'>;

export const refundIds = objectIds<ProcessorRefundId>('pre_');

export interface RefundRequest {
  readonly charge: ProcessorChargeId;
  /** Integer minor units, at most what the charge has left to refund. */
  readonly amount: number;
  readonly metadata: Metadata;
}

/**
 * The refund as the processor answers and lists it. A sandbox refund succeeds when it is
 * created and never changes afterwards; refused refunds are answered, never stored as refunds.
 */
export interface ProcessorRefund extends RefundRequest {
  readonly id: ProcessorRefundId;
  readonly object: 'processor_refund';
  /** The charge's currency: a refund returns money in the currency it was taken in. */
  readonly currency: string;
  readonly status: 'succeeded';
  readonly idempotency_key: IdempotencyKey;
  /** Epoch milliseconds, like a charge's. */
  readonly created: number;
}
