/**
 * Retrysafe idempotency, as a library: a framework-free engine (engine.ts) and a Middy adapter
 * (middleware.ts) any Middy HTTP handler can use. See the README section "The idempotency
 * middleware as a library" for a complete handler.
 */
export { idempotency } from './middleware.js';
export type { ActiveIdempotency, IdempotencyContext, IdempotencyOptions } from './middleware.js';
export { answerFor, defaultLeaseMarginMs, finalOutcomeOfThrown, IdempotencyEngine, isFinal } from './engine.js';
export { decodeResponse, defaultStoredHeaders, encodeResponse, replayResponse, storedForm } from './stored-response.js';
export type { EncodedResponse, StoredResponse } from './stored-response.js';
export type {
  Acquisition,
  Answered,
  IdempotencyEngineOptions,
  IdempotencyObserver,
  IdempotencyOutcome,
  IdempotentRequest,
} from './engine.js';
export type { IdempotentEvent } from './event-shape.js';
export { withAtomicCommit, withoutStoring } from './atomic-commit.js';
export type { Claim, DueRecoveryPoint, UnresolvedRecoveryPoint } from './store.js';
export type { KeyState, RecoveryPoint } from './state-machine.js';
export { keyReusedResponse } from './problems.js';
export type { AtomicCommit, CommittableResponse, RejectedWrite } from './atomic-commit.js';
export { canonicalJson } from './canonical-json.js';
export { requestFingerprint } from './fingerprint.js';
export { parseIdempotencyKeyHeader, parseKeyValue } from './key-header.js';
export type { IdempotencyKey } from './key-header.js';
export type { TransactItem } from '../shared/dynamodb.js';
