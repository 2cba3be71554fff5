import type { IdempotencyEngine } from '@retrysafe/idempotency';
import type { ChargeStore } from './charge-store.js';
import type { KeyRecords } from './key-records.js';
import type { Listing } from './listing.js';
import type { ProcessorRefund } from './refund.js';

export interface SandboxDeps {
  /** Retrysafe's idempotency engine, its records in the processor's own table. */
  readonly engine: IdempotencyEngine;
  readonly charges: ChargeStore;
  readonly refunds: Listing<ProcessorRefund>;
  /** The engine's records read by key, for lookups by idempotency key. */
  readonly keys: KeyRecords;
  readonly now: () => number;
  /** How long a response with `after-slow-delay` timing (test-tokens.ts) is held back after its outcome is stored. */
  readonly slowResponseMs: number;
  /** The hold itself; tests inject a gate to observe the stored-but-unanswered state. */
  readonly sleep: (ms: number) => Promise<void>;
}
