import type { ActiveIdempotency, IdempotencyKey } from '../../lambdas/idempotency/index.js';
import type { Charge } from '../../lambdas/payments/records.js';
import type { AccountId, ChargeId } from '../../lambdas/shared/ids.js';

/** Unit-test values for the payments decisions: nothing here reaches DynamoDB. */
export const tenant = 'acct_unit' as AccountId;

export const idempotency: ActiveIdempotency = { key: 'key-1' as IdempotencyKey, scope: tenant, fingerprint: 'fingerprint-1' };

export const nowMs = Date.UTC(2026, 0, 15, 12, 0, 0);

export const succeededCharge = (overrides: Partial<Charge> = {}): Charge => ({
  id: 'ch_01JHAAAAAAAAAAAAAAAAAAAAAA' as ChargeId,
  object: 'charge',
  amount: 5_000,
  amount_refunded: 0,
  currency: 'eur',
  status: 'succeeded',
  source: 'tok_visa',
  description: null,
  metadata: {},
  created: Math.floor(nowMs / 1000) - 60,
  processor_charge_id: 'pch_1',
  failure_code: null,
  ...overrides,
});
