import type { AccountId } from '../shared/ids.js';
import type { ProcessorListing } from './watermarks.js';

/** A fact on which the processor's object and Retrysafe's record disagree. */
export interface Difference {
  readonly field: 'amount' | 'currency' | 'status' | 'processor_id' | 'charge' | 'record';
  readonly processor: string | number;
  /** Null when Retrysafe holds nothing to compare: a record its key guard points to is missing. */
  readonly retrysafe: string | number | null;
}

/** Why a processor object is not one of Retrysafe's: the key is not one it derives, or the account is nobody's. */
export type UnknownReason = 'foreign-key' | 'no-account' | 'account-not-found' | 'not-a-retrysafe-request';

/**
 * What one settled processor object came to, joined with Retrysafe's records by its downstream key:
 *   matched     Retrysafe recorded it, and agrees (a recovered object is matched on every later run)
 *   recovered   Retrysafe had lost it: recorded now from the processor's object, by the request's own decision
 *   mismatched  Retrysafe recorded it, and disagrees: reported, never fixed
 *   unknown     not from Retrysafe: reported
 *   pending     its key is an unresolved recovery point: the completer's to finish; looked at again next run
 */
export type Classification =
  | { readonly kind: 'matched' }
  | { readonly kind: 'recovered' }
  | { readonly kind: 'mismatched'; readonly differences: readonly Difference[] }
  | { readonly kind: 'unknown'; readonly reason: UnknownReason }
  | { readonly kind: 'pending' };

export type ClassificationKind = Classification['kind'];

export const classificationKinds: readonly ClassificationKind[] = ['matched', 'recovered', 'mismatched', 'unknown', 'pending'];

/** A processor object as the report names it. */
export interface Judged {
  readonly listing: ProcessorListing;
  readonly processorId: string;
  readonly idempotencyKey: string;
  /** As the object's metadata names it, when it does. */
  readonly account: AccountId | undefined;
  readonly createdAtMs: number;
  readonly classification: Classification;
}

/** The classifications a person must look at: everything but matched, recovered and pending. */
export type Finding = Judged & { readonly classification: Extract<Classification, { readonly kind: 'mismatched' | 'unknown' }> };

export const isFinding = (judged: Judged): judged is Finding =>
  judged.classification.kind === 'mismatched' || judged.classification.kind === 'unknown';
