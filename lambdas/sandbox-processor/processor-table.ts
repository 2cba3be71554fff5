import { chargeIds, type ProcessorChargeId } from './charge.js';
import type { ListingPartition } from './listing.js';
import type { ObjectIds } from './object-ids.js';
import { refundIds, type ProcessorRefundId } from './refund.js';

/**
 * The processor table holds four kinds of items:
 *
 *   pk = #<idempotency key>        sk = KEY           a charge key's idempotency record (@retrysafe/idempotency)
 *   pk = refund#<idempotency key>  sk = KEY           a refund key's idempotency record
 *   pk = CHARGES                   sk = <charge id>   a charge's time-ordered listing entry, kept current
 *   pk = REFUNDS                   sk = <refund id>   a refund's time-ordered listing entry
 *
 * A listing entry is committed in the same transaction that completes the key's record, so one
 * key can only ever own one object and an object never exists without its key. Charge and
 * refund keys are scoped apart: each route has its own key space, as a lookup by key names the
 * route it asks about. Ids are ULIDs, so a listing partition is sorted by creation time and
 * "since T" is a key range read by one Query. One partition per kind caps the sandbox near 500
 * charges/s (1,000 WCU per partition, two per transactional write; a refund also writes its
 * charge's entry); a sandbox never gets close, and a single partition keeps listing a plain
 * paginated Query instead of a merge across shards.
 */
export const sandboxRecordSortKey = { attribute: 'sk', value: 'KEY' } as const;

/** Where one kind of object and the keys that create it live, and how its ids look. */
export interface ObjectKind<Id extends string> extends ListingPartition {
  /** The object as problems name it, e.g. "charge". */
  readonly noun: string;
  readonly ids: ObjectIds<Id>;
  /** The engine's scope for the keys that create it. */
  readonly keyScope: string | undefined;
}

/** Charge keys keep the unscoped key space they always had. */
export const chargeKind: ObjectKind<ProcessorChargeId> = {
  noun: 'charge',
  ids: chargeIds,
  keyScope: undefined,
  partition: 'CHARGES',
  attribute: 'charge',
};

export const refundKind: ObjectKind<ProcessorRefundId> = {
  noun: 'refund',
  ids: refundIds,
  keyScope: 'refund',
  partition: 'REFUNDS',
  attribute: 'refund',
};
