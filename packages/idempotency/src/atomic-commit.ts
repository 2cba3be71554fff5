import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { HttpResponse } from './http-response.js';

/** One write of a TransactWriteItems, as the document client takes it. */
export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** A business write whose condition failed at commit time, and the item as it stood then. */
export interface RejectedWrite {
  readonly index: number;
  readonly item: Record<string, unknown> | undefined;
}

export interface AtomicCommit {
  readonly writes: readonly TransactItem[];
  /**
   * The response to give (and store, unless marked withoutStoring) instead, when a business
   * write's condition fails at commit: e.g. a resource another executor created first. Without
   * it, a rejected write is an error and the claim is abandoned.
   */
  readonly onRejected?: (rejected: RejectedWrite) => CommittableResponse;
  /**
   * What is stored under the key and replayed, when the response holds something that must
   * never be kept: e.g. a credential shown once. A retry then gets this form instead.
   */
  readonly storedAs?: HttpResponse;
}

/** What a handler hands back beside its response: writes to commit with it, or that it is not to be stored. */
type Directive = { readonly kind: 'commit'; readonly commit: AtomicCommit } | { readonly kind: 'do-not-store' };

const directive = Symbol('retrysafe.outcomeDirective');

export type CommittableResponse = HttpResponse & { readonly [directive]?: Directive };

/**
 * Hands business writes back to the idempotency middleware with the response they produce.
 * The middleware commits them together with the COMPLETED record in one TransactWriteItems,
 * so there is never a committed side effect whose key still says IN_PROGRESS, nor a completed
 * key without its side effect. With no key on the request, the writes still commit, alone.
 */
export const withAtomicCommit = (response: HttpResponse, commit: AtomicCommit): CommittableResponse => ({
  ...response,
  [directive]: { kind: 'commit', commit },
});

/**
 * An answer that is not this request's outcome and must not be stored under its key: e.g. "this
 * key belongs to another request", found in a permanent key guard after the record expired.
 * Stored, it would be replayed to the key's true retry. The key is released instead.
 */
export const withoutStoring = (response: HttpResponse): CommittableResponse => ({ ...response, [directive]: { kind: 'do-not-store' } });

export const takeAtomicCommit = (
  response: CommittableResponse,
): { response: HttpResponse; commit: AtomicCommit | undefined; store: boolean } => {
  const { [directive]: given, ...plain } = response;
  return { response: plain, commit: given?.kind === 'commit' ? given.commit : undefined, store: given?.kind !== 'do-not-store' };
};
