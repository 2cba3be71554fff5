import type { HttpResponse } from '../http/types.js';
import type { TransactItem } from '../shared/dynamodb.js';

/** A business write whose condition failed at commit time, and the item as it stood then. */
export interface RejectedWrite {
  readonly index: number;
  readonly item: Record<string, unknown> | undefined;
}

export interface AtomicCommit {
  readonly writes: readonly TransactItem[];
  /**
   * The response to give (and store) instead, when a business write's condition fails at
   * commit: e.g. a refund whose amount was taken by a concurrent refund. Without it, a
   * rejected write is an error and the claim is released.
   */
  readonly onRejected?: (rejected: RejectedWrite) => HttpResponse;
}

const atomicCommit = Symbol('retrysafe.atomicCommit');

export type CommittableResponse = HttpResponse & { readonly [atomicCommit]?: AtomicCommit };

/**
 * Hands business writes back to the idempotency middleware with the response they produce.
 * The middleware commits them together with the COMPLETED record in one TransactWriteItems,
 * so there is never a committed side effect whose key still says IN_PROGRESS, nor a completed
 * key without its side effect. With no key on the request, the writes still commit, alone.
 */
export const withAtomicCommit = (response: HttpResponse, commit: AtomicCommit): CommittableResponse => ({
  ...response,
  [atomicCommit]: commit,
});

export const takeAtomicCommit = (response: CommittableResponse): { response: HttpResponse; commit: AtomicCommit | undefined } => {
  const { [atomicCommit]: commit, ...plain } = response;
  return { response: plain, commit };
};
