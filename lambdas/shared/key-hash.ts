import { createHash } from 'node:crypto';
import type { Brand } from './ids.js';

/** What logs carry in place of an idempotency key: enough to follow one key, never the key. */
export type KeyHash = Brand<string, 'KeyHash'>;

/**
 * A key can carry whatever a client put in it (an order number, an e-mail address), so logs
 * never hold it; the first 16 hex digits of its SHA-256 (64 bits) tell a tenant's keys apart
 * and match a key an operator is given by hashing it the same way.
 */
export const keyHash = (key: string): KeyHash => createHash('sha256').update(key).digest('hex').slice(0, 16) as KeyHash;
