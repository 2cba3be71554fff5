import type { ChargeId, RefundId } from '../shared/ids.js';
import type { Currency } from './money.js';
import type { Originated } from '../regions/origin.js';

/**
 * The payments table, one partition per account (accountPartition), its items told apart by
 * sort-key prefix:
 *   CH#<chargeId>            a charge (ULID ids, so the partition lists newest-first)
 *   RE#<refundId>            a refund
 *   BAL#<currency>#<shard>   one shard of the account's available balance, named <region>.<n> (see balance.ts)
 *   KEY#<downstream key>     a permanent guard: which resource an Idempotency-Key created, from
 *                            which request, and the answer it got, long after the 24-hour
 *                            idempotency record expired (keyed by the downstream key, see
 *                            key-guard.ts, so a processor record leads to it)
 */
export const sortKeyPrefixes = { charge: 'CH#', refund: 'RE#', balance: 'BAL#', keyGuard: 'KEY#' } as const;

export const chargeSortKey = (id: ChargeId): string => `${sortKeyPrefixes.charge}${id}`;
export const refundSortKey = (id: RefundId): string => `${sortKeyPrefixes.refund}${id}`;
export const balanceShardSortKey = (currency: Currency, shard: string): string => `${sortKeyPrefixes.balance}${currency}#${shard}`;
export const keyGuardSortKey = (key: string): string => `${sortKeyPrefixes.keyGuard}${key}`;

export type ChargeStatus = 'succeeded' | 'failed';

/** A charge as the API shows it. */
export interface Charge {
  id: ChargeId;
  object: 'charge';
  amount: number;
  amount_refunded: number;
  currency: Currency;
  status: ChargeStatus;
  source: string;
  description: string | null;
  metadata: Record<string, string>;
  /** Epoch seconds. */
  created: number;
  processor_charge_id: string;
  /** The processor's decline code, for failed charges. */
  failure_code: string | null;
}

export interface ChargeItem extends Charge, Originated {
  pk: string;
  sk: string;
  /** What may still be refunded, as refunds recorded here say; the processor's own bound decides. */
  amount_refundable: number;
}

export interface Refund {
  id: RefundId;
  object: 'refund';
  charge: ChargeId;
  amount: number;
  currency: Currency;
  status: 'succeeded';
  created: number;
  processor_refund_id: string;
}

export interface RefundItem extends Refund {
  pk: string;
  sk: string;
}

export interface BalanceItem {
  pk: string;
  sk: string;
  currency: Currency;
  available: number;
}

export type GuardedResource = { kind: 'charge'; id: ChargeId } | { kind: 'refund'; id: RefundId; charge: ChargeId };

export interface KeyGuardItem {
  pk: string;
  sk: string;
  resource: GuardedResource;
  fingerprint: string;
  createdAt: number;
  /** The original answer, replayed byte for byte (see idempotency/stored-response.ts). */
  response?: string;
  responseGzip?: Uint8Array;
}

export const chargeFromItem = (item: ChargeItem): Charge => ({
  id: item.id,
  object: 'charge',
  amount: item.amount,
  amount_refunded: item.amount_refunded,
  currency: item.currency,
  status: item.status,
  source: item.source,
  description: item.description,
  metadata: item.metadata,
  created: item.created,
  processor_charge_id: item.processor_charge_id,
  failure_code: item.failure_code,
});

export const refundFromItem = (item: RefundItem): Refund => ({
  id: item.id,
  object: 'refund',
  charge: item.charge,
  amount: item.amount,
  currency: item.currency,
  status: item.status,
  created: item.created,
  processor_refund_id: item.processor_refund_id,
});
