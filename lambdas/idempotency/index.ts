/**
 * Retrysafe idempotency, as a library any Middy HTTP handler can use. See the README section
 * "The idempotency middleware as a library" for a complete handler.
 */
export { idempotency, defaultStoredHeaders } from './middleware.js';
export type { ActiveIdempotency, IdempotencyContext, IdempotencyOptions, IdempotentEvent } from './middleware.js';
export { withAtomicCommit } from './atomic-commit.js';
export { keyReusedResponse } from './problems.js';
export type { AtomicCommit, RejectedWrite } from './atomic-commit.js';
export { canonicalJson } from './canonical-json.js';
export { requestFingerprint } from './fingerprint.js';
export { parseIdempotencyKeyHeader } from './key-header.js';
export type { IdempotencyKey } from './key-header.js';
export type { TransactItem } from '../shared/dynamodb.js';
