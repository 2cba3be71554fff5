import { describe, expect, it } from 'vitest';
import type { IdempotencyKey } from '@retrysafe/idempotency';
import { downstreamKey } from '../../lambdas/payments/key-guard.js';
import { chargeEntries, type LedgerEntry } from '../../lambdas/payments/ledger.js';
import { type EventType, noRequestTrail, type RetrysafeEvent } from '../../lambdas/events/outbox.js';
import type { Charge, Refund } from '../../lambdas/payments/records.js';
import type { ProcessorCharge, ProcessorChargeId } from '../../lambdas/sandbox-processor/charge.js';
import type { AccountId, ChargeId, EventId, LedgerTransactionId } from '../../lambdas/shared/ids.js';
import { afterRecovery } from '../../loadtest/after-recovery.js';
import { audit, type AuditId } from '../../loadtest/audit.js';
import type { LoadRun } from '../../loadtest/driver.js';
import type { AnsweredExchange, CardToken, Exchange, KeyPlan, RequestRole } from '../../loadtest/exchange.js';
import type { PendingRecoveryPoint, RecoveryWait } from '../../loadtest/recovery.js';
import type { ServerSnapshot } from '../../loadtest/server-state.js';

const account = 'acct_audit_unit' as AccountId;

const plan = (name: string, source: CardToken = 'tok_visa', amount = 1000): KeyPlan => ({
  key: name as IdempotencyKey,
  body: { amount, currency: 'usd', source, description: name },
});

const chargeOf = (key: KeyPlan, status: Charge['status']): Charge => ({
  id: `ch_${key.key.toUpperCase().padEnd(26, '0')}` as ChargeId,
  object: 'charge',
  amount: key.body.amount,
  amount_refunded: 0,
  currency: key.body.currency,
  status,
  source: key.body.source,
  description: key.body.description,
  metadata: {},
  created: 1_800_000_000,
  processor_charge_id: `pch_${key.key}`,
  failure_code: status === 'failed' ? 'insufficient_funds' : null,
});

const processorChargeOf = (key: KeyPlan, status: 'succeeded' | 'declined', id = `pch_${key.key}`): ProcessorCharge => {
  const fields = {
    id: id as ProcessorChargeId,
    object: 'processor_charge' as const,
    amount: key.body.amount,
    currency: key.body.currency,
    source: key.body.source,
    description: key.body.description,
    metadata: {},
    amount_refunded: 0,
    idempotency_key: downstreamKey(account, key.key) as string as IdempotencyKey,
    created: 1_800_000_000_000,
  };
  return status === 'succeeded' ? { ...fields, status } : { ...fields, status, decline_code: 'insufficient_funds' };
};

const ledgerOf = (charge: Charge): LedgerEntry[] =>
  chargeEntries({
    id: `txn_${charge.id.slice(3)}` as LedgerTransactionId,
    account,
    currency: charge.currency,
    amount: charge.amount,
    source: { kind: 'charge', id: charge.id },
    created: charge.created,
  });

let eventClock = 0;
const eventOf = (type: EventType, object: Charge | Refund): RetrysafeEvent => ({
  id: `evt_${String((eventClock += 1)).padStart(26, '0')}` as EventId,
  object: 'event',
  type,
  created: 1_800_000_000,
  data: { object: object as unknown as Record<string, unknown> },
  request: noRequestTrail,
});

let clock = 0;
const answer = (key: KeyPlan, role: RequestRole, status: number, body: unknown, replayed = false): AnsweredExchange => ({
  kind: 'answered',
  key: key.key,
  role,
  sentAtMs: (clock += 1),
  status,
  replayed,
  contentType: status >= 400 ? 'application/problem+json' : 'application/json',
  location: status === 201 ? `/v1/charges/${(body as Charge).id}` : undefined,
  retryAfterSeconds: status === 409 || status === 503 ? 1 : undefined,
  body: Buffer.from(JSON.stringify(body)),
  latencyMs: 10,
});

const problem = (slug: string, status: number, extensions: Record<string, unknown> = {}) => ({
  type: `https://retrysafe.dev/problems/${slug}`,
  title: slug,
  status,
  ...extensions,
});

const paid = plan('paid');
const declined = plan('declined', 'tok_chargeDeclined', 2000);
const faulty = plan('faulty', 'tok_processor_error');
const lost = plan('lost', 'tok_visa', 3000);
const paidCharge = chargeOf(paid, 'succeeded');
const declinedCharge = chargeOf(declined, 'failed');
const lostCharge = chargeOf(lost, 'succeeded');

/** A run in which everything went right: a charge and its replays, a decline, an injected fault, a changed body, a lost response. */
const healthy = (): { run: LoadRun; snapshot: ServerSnapshot } => {
  const exchanges: Exchange[] = [
    answer(paid, 'first', 201, paidCharge),
    answer(paid, 'concurrent-duplicate', 409, problem('idempotency-key-in-use', 409)),
    answer(paid, 'retry-after-409', 201, paidCharge, true),
    answer(paid, 'retry-later', 201, paidCharge, true),
    answer(paid, 'changed-body', 422, problem('idempotency-key-reused', 422)),
    answer(declined, 'first', 402, problem('card-declined', 402, { charge: declinedCharge })),
    answer(declined, 'retry-later', 402, problem('card-declined', 402, { charge: declinedCharge }), true),
    answer(faulty, 'first', 503, problem('processor-unavailable', 503)),
    answer(faulty, 'retry-after-503', 503, problem('processor-unavailable', 503)),
    { kind: 'cut-off', key: lost.key, role: 'first', sentAtMs: (clock += 1) },
    answer(lost, 'retry-after-timeout', 201, lostCharge, true),
  ];
  const run: LoadRun = {
    runId: 'unit',
    startedAtEpochMs: 1_800_000_000_000,
    durationMs: 1_000,
    plans: new Map([paid, declined, faulty, lost].map((key) => [key.key, key])),
    exchanges,
    scripts: { single: 1, concurrent: 1, 'lost-response': 1, 'after-503': 1, 'retry-later': 2, 'changed-body': 1, 'never-retry': 0 },
    inFlight: { peak: 2, steadyMean: 1, overallMean: 1 },
  };
  const snapshot: ServerSnapshot = {
    charges: [paidCharge, declinedCharge, lostCharge],
    processorCharges: [processorChargeOf(paid, 'succeeded'), processorChargeOf(declined, 'declined'), processorChargeOf(lost, 'succeeded')],
    processorRefunds: [],
    events: [eventOf('charge.succeeded', paidCharge), eventOf('charge.failed', declinedCharge), eventOf('charge.succeeded', lostCharge)],
    ledger: [...ledgerOf(paidCharge), ...ledgerOf(lostCharge)],
    balanceBefore: new Map(),
    balanceAfter: new Map([['usd', paid.body.amount + lost.body.amount]]),
  };
  return { run, snapshot };
};

/** The completer's work, done: what the wait for it reports when nothing was left, or `left` points were. */
const drained: RecoveryWait = { pointsAtLoadEnd: [], pointsLeft: 0, drained: true, durationMs: 1_000 };

const failing = (run: LoadRun, snapshot: ServerSnapshot, wait: RecoveryWait = drained): AuditId[] =>
  audit(run, account, snapshot, afterRecovery(wait, account, snapshot))
    .filter((result) => !result.passed)
    .map((result) => result.id);

describe('load test audits', () => {
  it('pass a run in which every key was charged at most once and every answer is expected', () => {
    const { run, snapshot } = healthy();
    expect(failing(run, snapshot)).toEqual([]);
  });

  it('catch a second charge for one key, even when both point at the same processor charge', () => {
    const { run, snapshot } = healthy();
    const twin = { ...paidCharge, id: 'ch_TWIN0000000000000000000000' as ChargeId };
    const twinLedger = ledgerOf(twin);
    expect(
      failing(run, {
        ...snapshot,
        charges: [...snapshot.charges, twin],
        events: [...snapshot.events, eventOf('charge.succeeded', twin)],
        ledger: [...snapshot.ledger, ...twinLedger],
        balanceAfter: new Map([['usd', 2 * paid.body.amount + lost.body.amount]]),
      }),
    ).toEqual(['counterparts', 'exactly-once']);
  });

  it('catch a second processor charge, and a processor charge behind a key that was only ever refused', () => {
    const { run, snapshot } = healthy();
    expect(
      failing(run, { ...snapshot, processorCharges: [...snapshot.processorCharges, processorChargeOf(paid, 'succeeded', 'pch_again')] }),
    ).toEqual(['counterparts', 'exactly-once']);
    expect(failing(run, { ...snapshot, processorCharges: [...snapshot.processorCharges, processorChargeOf(faulty, 'succeeded')] })).toEqual(
      ['counterparts', 'exactly-once'],
    );
  });

  describe('a key whose client never came back after a 503, while the processor had charged it', () => {
    const slow = plan('slow', 'tok_timeout_after_charge');
    const slowCharge = chargeOf(slow, 'succeeded');
    const withSlow = (): { run: LoadRun; snapshot: ServerSnapshot } => {
      const { run, snapshot } = healthy();
      return {
        run: {
          ...run,
          plans: new Map([...run.plans, [slow.key, slow]]),
          exchanges: [...run.exchanges, answer(slow, 'first', 503, problem('processor-unavailable', 503))],
        },
        snapshot: { ...snapshot, processorCharges: [...snapshot.processorCharges, processorChargeOf(slow, 'succeeded')] },
      };
    };
    const pointAtLoadEnd: PendingRecoveryPoint = { key: slow.key, recoverAt: 1_800_000_050_000 };

    it('fail while the processor charge has no charge here: the charge the issue found lost', () => {
      const { run, snapshot } = withSlow();
      expect(failing(run, snapshot)).toEqual(['counterparts', 'exactly-once']);
    });

    it('pass once the completer has recorded it, with its ledger entries, event and balance, and count it as recovered', () => {
      const { run, snapshot } = withSlow();
      const recorded: ServerSnapshot = {
        ...snapshot,
        charges: [...snapshot.charges, slowCharge],
        events: [...snapshot.events, eventOf('charge.succeeded', slowCharge)],
        ledger: [...snapshot.ledger, ...ledgerOf(slowCharge)],
        balanceAfter: new Map([['usd', paid.body.amount + lost.body.amount + slow.body.amount]]),
      };
      const wait: RecoveryWait = { ...drained, pointsAtLoadEnd: [pointAtLoadEnd] };
      expect(failing(run, recorded, wait)).toEqual([]);
      expect(afterRecovery(wait, account, recorded).resolved).toEqual({ succeeded: 1, declined: 0, notCharged: 0 });
    });

    it('fail when the wait for the completer ended with recovery points left', () => {
      const { run, snapshot } = withSlow();
      expect(failing(run, snapshot, { pointsAtLoadEnd: [pointAtLoadEnd], pointsLeft: 1, drained: false, durationMs: 600_000 })).toEqual([
        'recovered',
        'counterparts',
        'exactly-once',
      ]);
    });
  });

  it('catch a charge without its event, and an event twice', () => {
    const { run, snapshot } = healthy();
    expect(failing(run, { ...snapshot, events: snapshot.events.slice(1) })).toEqual(['counterparts']);
    expect(failing(run, { ...snapshot, events: [...snapshot.events, eventOf('charge.failed', declinedCharge)] })).toEqual(['counterparts']);
  });

  it('catch a replay that differs from the original, and a second answer that does not say it is a replay', () => {
    const { run, snapshot } = healthy();
    const altered = answer(paid, 'retry-later', 201, { ...paidCharge, amount_refunded: 1 }, true);
    expect(failing({ ...run, exchanges: [...run.exchanges, altered] }, snapshot)).toEqual(['replays-identical']);
    const unflagged = answer(paid, 'retry-later', 201, paidCharge);
    expect(failing({ ...run, exchanges: [...run.exchanges, unflagged] }, snapshot)).toEqual(['replays-identical']);
  });

  it('catch a changed body that was not refused, and a 422 for an unchanged one', () => {
    const { run, snapshot } = healthy();
    const accepted = answer(declined, 'changed-body', 402, problem('card-declined', 402, { charge: declinedCharge }));
    expect(failing({ ...run, exchanges: [...run.exchanges, accepted] }, snapshot)).toEqual(['changed-bodies-refused']);
    const refusedRetry = answer(paid, 'retry-later', 422, problem('idempotency-key-reused', 422));
    expect(failing({ ...run, exchanges: [...run.exchanges, refusedRetry] }, snapshot)).toEqual(['changed-bodies-refused']);
  });

  it('catch an unbalanced ledger transaction, and a balance that disagrees with the ledger or the charges', () => {
    const { run, snapshot } = healthy();
    const [debit, credit] = ledgerOf(paidCharge);
    if (debit === undefined || credit === undefined) throw new Error('a charge has two ledger entries');
    expect(failing(run, { ...snapshot, ledger: [debit, { ...credit, amount: credit.amount + 1 }, ...ledgerOf(lostCharge)] })).toEqual([
      'counterparts',
      'ledger-balanced',
    ]);
    expect(failing(run, { ...snapshot, balanceAfter: new Map([['usd', paid.body.amount]]) })).toEqual(['counterparts']);
  });

  it('accept load shed with Retry-After as an answer, and catch a 503 that does not say when to come back', () => {
    const { run, snapshot } = healthy();
    const shed = answer(paid, 'retry-later', 503, problem('service-unavailable', 503));
    expect(failing({ ...run, exchanges: [...run.exchanges, shed] }, snapshot)).toEqual([]);
    const noRetryAfter: AnsweredExchange = { ...shed, retryAfterSeconds: undefined };
    expect(failing({ ...run, exchanges: [...run.exchanges, noRetryAfter] }, snapshot)).toEqual(['no-unexpected-failures']);
  });

  it('catch a 5xx that was not injected, and a transport error', () => {
    const { run, snapshot } = healthy();
    const notInjected = answer(paid, 'retry-later', 502, problem('bad-gateway', 502));
    expect(failing({ ...run, exchanges: [...run.exchanges, notInjected] }, snapshot)).toEqual(['no-unexpected-failures']);
    const broken: Exchange = {
      kind: 'transport-error',
      key: paid.key,
      role: 'retry-later',
      sentAtMs: 99,
      message: 'socket hang up',
      latencyMs: 3,
    };
    expect(failing({ ...run, exchanges: [...run.exchanges, broken] }, snapshot)).toEqual(['no-unexpected-failures']);
  });
});
