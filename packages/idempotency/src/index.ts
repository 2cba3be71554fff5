/**
 * Idempotency keys for AWS Lambda and DynamoDB: a framework-free engine (engine.ts) and a Middy
 * adapter (middleware.ts) any Middy HTTP handler can use. The package README shows a complete
 * handler and the table it needs.
 */
export { idempotency } from './middleware.js';
export type { ActiveIdempotency, EngineSource, IdempotencyContext, IdempotencyOptions, MiddlewareOptions } from './middleware.js';
export { defaultLeaseMarginMs, defaultTtlSeconds, IdempotencyEngine, isFinal } from './engine.js';
export type {
  Acquisition,
  Answered,
  IdempotencyEngineOptions,
  IdempotencyObserver,
  IdempotencyOutcome,
  IdempotentRequest,
} from './engine.js';
export {
  decodeResponse,
  defaultStoredHeaders,
  encodeResponse,
  maxEncodedResponseBytes,
  replayResponse,
  storedForm,
} from './stored-response.js';
export type { EncodedResponse, StoredResponse } from './stored-response.js';
export { bodyText, fingerprintInput, headerValues, methodOf } from './event-shape.js';
export type { IdempotentEvent } from './event-shape.js';
export { takeAtomicCommit, withAtomicCommit, withoutStoring } from './atomic-commit.js';
export type { AtomicCommit, CommittableResponse, RejectedWrite, TransactItem } from './atomic-commit.js';
export { recordId, recoveryShardNames } from './store.js';
export { DynamoDbKeyOwnership } from './ownership.js';
export type { DynamoDbKeyOwnershipOptions, KeyOwnership, Ownership } from './ownership.js';
export type { Claim, DueRecoveryPoint, UnresolvedRecoveryPoint } from './store.js';
export { classify, keyStateOf, retryAfterSeconds } from './state-machine.js';
export type { IdempotencyRecord, KeyState, RecoveryPoint, Verdict } from './state-machine.js';
export { defaultProblemTypeBase, genericProblemAnswers, problemSlugs } from './problems.js';
export type { IdempotencyProblem, ProblemAnswers } from './problems.js';
export type { IdempotencyLogger } from './logger.js';
export type { HttpResponse } from './http-response.js';
export { canonicalJson } from './canonical-json.js';
export { requestFingerprint } from './fingerprint.js';
export type { FingerprintInput } from './fingerprint.js';
export { maxKeyLength, parseIdempotencyKeyHeader, parseKeyValue } from './key-header.js';
export type { IdempotencyKey, KeyHeader } from './key-header.js';
export { idempotencyTableLayout } from './table.js';
export { LruMap } from './lru-map.js';
