import type { IdempotencyKey } from '@retrysafe/idempotency';
import type { Brand } from '../shared/ids.js';
import type { Metadata } from './metadata.js';
import { objectIds } from './object-ids.js';

/**
 * The sandbox processor's own vocabulary. It is a separate service, so nothing here is shared
 * with Retrysafe's payments code: Retrysafe reads these objects off the wire like it would
 * read Stripe's.
 */
export type ProcessorChargeId = Brand<string, 'ProcessorChargeId'>;

export const chargeIds = objectIds<ProcessorChargeId>('pch_');

export type DeclineCode = 'insufficient_funds';

export interface ChargeRequest {
  /** Integer minor units (cents). */
  readonly amount: number;
  /** ISO 4217, lowercase. */
  readonly currency: string;
  readonly source: string;
  readonly description: string | null;
  readonly metadata: Metadata;
}

export type ChargeOutcome = { readonly status: 'succeeded' } | { readonly status: 'declined'; readonly declineCode: DeclineCode };

interface ProcessorChargeFields extends ChargeRequest {
  readonly id: ProcessorChargeId;
  readonly object: 'processor_charge';
  /** What refunds have returned so far; the charge's listing entry keeps it current. */
  readonly amount_refunded: number;
  /** The key the charge was created under, so reconciliation can count charges per key. */
  readonly idempotency_key: IdempotencyKey;
  /** Epoch milliseconds (Stripe uses seconds; milliseconds let `since=<created>` round-trip). */
  readonly created: number;
}

/** The charge as the processor answers and lists it. */
export type ProcessorCharge = ProcessorChargeFields &
  ({ readonly status: 'succeeded' } | { readonly status: 'declined'; readonly decline_code: DeclineCode });

export const chargeObject = (
  fields: Omit<ProcessorChargeFields, 'object' | 'amount_refunded'>,
  outcome: ChargeOutcome,
): ProcessorCharge => ({
  ...fields,
  object: 'processor_charge',
  amount_refunded: 0,
  ...(outcome.status === 'succeeded' ? { status: 'succeeded' } : { status: 'declined', decline_code: outcome.declineCode }),
});
