import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ActiveIdempotency, IdempotencyKey } from '@retrysafe/idempotency';
import { requestTrail } from '../../lambdas/events/outbox.js';
import { identityOf } from '../../lambdas/payments/key-guard.js';
import { PaymentsStore } from '../../lambdas/payments/payments-store.js';
import type { Charge } from '../../lambdas/payments/records.js';
import type { PaymentsTables } from '../../lambdas/payments/tables.js';
import { createDocumentClient } from '../../lambdas/shared/dynamodb.js';
import type { AccountId, ChargeId } from '../../lambdas/shared/ids.js';

/** Unit-test values for the payments decisions: nothing here reaches DynamoDB. */
export const tables: PaymentsTables = { payments: 'payments-table', ledger: 'ledger-table', events: 'events-table' };

/**
 * Decisions only build writes, synchronously; the client is never sent anything (it points at a
 * port nothing listens on, so a request would fail rather than reach a real table).
 */
export const offlineStore = (): PaymentsStore =>
  new PaymentsStore(createDocumentClient(new DynamoDBClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' })), tables);

export const tenant = 'acct_unit' as AccountId;

export const idempotency: ActiveIdempotency = { key: 'key-1' as IdempotencyKey, scope: tenant, fingerprint: 'fingerprint-1' };

export const identity = identityOf(tenant, idempotency);

export const nowMs = Date.UTC(2026, 0, 15, 12, 0, 0);

/** The request the decided writes' events name as their origin. */
export const trail = requestTrail('req-unit', 'key-unit');

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
