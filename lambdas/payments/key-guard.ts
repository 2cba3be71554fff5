import { createHash } from 'node:crypto';
import type { IdempotencyKey } from '../idempotency/index.js';
import type { AccountId } from '../shared/ids.js';

/**
 * The processor's idempotency key for a Retrysafe request: the same (tenant, Idempotency-Key)
 * always maps to the same downstream key, on a retry, on a lease takeover after a crash, or
 * a month later, so the processor itself refuses to charge twice. Hashing keeps tenants' keys
 * apart and keeps client-chosen text out of the processor's logs.
 */
export const downstreamKey = (tenant: AccountId, key: IdempotencyKey): string =>
  `retrysafe_${createHash('sha256').update(`${tenant}\n${key}`, 'utf8').digest('hex')}`;
