import type { IdempotencyKey } from '@retrysafe/idempotency';
import { downstreamKey } from '../lambdas/payments/key-guard.js';
import { merchantBalances } from '../lambdas/payments/ledger.js';
import type { Refund } from '../lambdas/payments/records.js';
import type { AccountId } from '../lambdas/shared/ids.js';
import { chargeViewOf, paymentEqualities, refundViewOf, type Equality, type PaymentState } from './counterparts.js';
import type { RecoveryWait } from './recovery.js';
import type { ServerSnapshot } from './server-state.js';

/** The recovery phase: what the completer had left to do when the load ended, how it went, and the equalities after it. */
export interface AfterRecovery {
  /** Recovery points of the tenant when the load ended. */
  readonly pointsAtLoadEnd: number;
  /** Left when the wait ended: none unless its deadline came first. */
  readonly pointsLeft: number;
  readonly drained: boolean;
  /** From the end of the load until no recovery point was left. */
  readonly durationMs: number;
  /** What the keys left as recovery points became, read after the wait. */
  readonly resolved: { readonly succeeded: number; readonly declined: number; readonly notCharged: number };
  readonly equalities: readonly Equality[];
}

/**
 * Both sides as the equalities compare them. No API lists refunds, so Retrysafe's refunds are
 * read from their charge.refunded events, which are written in the refund's own transaction.
 */
export const paymentStateOf = (snapshot: ServerSnapshot): PaymentState => ({
  processorCharges: snapshot.processorCharges.map((charge) => ({
    id: charge.id,
    downstreamKey: charge.idempotency_key,
    amount: charge.amount,
    currency: charge.currency,
    status: charge.status,
  })),
  processorRefunds: snapshot.processorRefunds.map((refund) => ({
    id: refund.id,
    downstreamKey: refund.idempotency_key,
    processorChargeId: refund.charge,
    amount: refund.amount,
    currency: refund.currency,
  })),
  charges: snapshot.charges.map(chargeViewOf),
  refunds: snapshot.events
    .filter((event) => event.type === 'charge.refunded')
    .map((event) => refundViewOf(event.data.object as unknown as Refund)),
  events: snapshot.events.map((event) => ({ type: event.type, objectId: String(event.data.object.id) })),
  ledgerBalance: merchantBalances(snapshot.ledger),
  balance: snapshot.balanceAfter,
  balanceBefore: snapshot.balanceBefore,
});

/** What each key left as a recovery point at the end of the load came to: its charge, if any, joined by downstream key. */
const resolutionsOf = (keys: readonly IdempotencyKey[], account: AccountId, snapshot: ServerSnapshot): AfterRecovery['resolved'] => {
  const processorIdByDownstream = new Map(
    snapshot.processorCharges.map((charge) => [charge.idempotency_key as string, charge.id as string]),
  );
  const chargeByProcessorId = new Map(snapshot.charges.map((charge) => [charge.processor_charge_id, charge]));
  const resolved = { succeeded: 0, declined: 0, notCharged: 0 };
  for (const key of keys) {
    const charge = chargeByProcessorId.get(processorIdByDownstream.get(downstreamKey(account, key)) ?? '');
    if (charge === undefined) resolved.notCharged += 1;
    else if (charge.status === 'succeeded') resolved.succeeded += 1;
    else resolved.declined += 1;
  }
  return resolved;
};

export const afterRecovery = (wait: RecoveryWait, account: AccountId, snapshot: ServerSnapshot): AfterRecovery => ({
  pointsAtLoadEnd: wait.pointsAtLoadEnd.length,
  pointsLeft: wait.pointsLeft,
  drained: wait.drained,
  durationMs: wait.durationMs,
  resolved: resolutionsOf(
    wait.pointsAtLoadEnd.map((point) => point.key),
    account,
    snapshot,
  ),
  equalities: paymentEqualities(paymentStateOf(snapshot)),
});
