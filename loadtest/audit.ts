import type { IdempotencyKey } from '@retrysafe/idempotency';
import { downstreamKey } from '../lambdas/payments/key-guard.js';
import type { LedgerEntry } from '../lambdas/payments/ledger.js';
import type { Charge } from '../lambdas/payments/records.js';
import type { AccountId } from '../lambdas/shared/ids.js';
import type { AfterRecovery } from './after-recovery.js';
import { equalityLine } from './counterparts.js';
import type { LoadRun } from './driver.js';
import { injectedFaultTokens, isShedLoad, isStoredAnswer, problemSlug, type AnsweredExchange, type Exchange } from './exchange.js';
import type { ServerSnapshot } from './server-state.js';

export type AuditId =
  | 'recovered'
  | 'counterparts'
  | 'exactly-once'
  | 'replays-identical'
  | 'changed-bodies-refused'
  | 'ledger-balanced'
  | 'no-unexpected-failures';

export interface AuditResult {
  readonly id: AuditId;
  readonly title: string;
  readonly passed: boolean;
  /** What was checked, in numbers. */
  readonly checked: string;
  readonly failureCount: number;
  /** The first few failures, each naming the key or entry at fault. */
  readonly failures: readonly string[];
}

const shownFailures = 20;

class Findings {
  readonly all: string[] = [];

  add(failure: string): void {
    this.all.push(failure);
  }

  result(id: AuditId, title: string, checked: string): AuditResult {
    return { id, title, passed: this.all.length === 0, checked, failureCount: this.all.length, failures: this.all.slice(0, shownFailures) };
  }
}

const formatCount = (n: number): string => n.toLocaleString('en-US');

const groupBy = <T, K>(items: readonly T[], keyOf: (item: T) => K): Map<K, T[]> => {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [item]);
    else group.push(item);
  }
  return groups;
};

/** A key's requests that carried its original body: everything but the deliberate changed bodies. */
const honestExchanges = (run: LoadRun): Map<IdempotencyKey, Exchange[]> =>
  groupBy(
    run.exchanges.filter((exchange) => exchange.role !== 'changed-body'),
    (exchange) => exchange.key,
  );

/**
 * What the client can know about a key, which decides how many charges it may have once the
 * completer has resolved every recovery point:
 *   answered    some request got a stored answer (201 or 402): exactly one charge here and one
 *               at the processor, the ones that answer names.
 *   unanswered  no request got one: refused (409, 429, 503, another 5xx), abandoned by the client
 *               (the lost-response case) or lost in transport. It may or may not have reached the
 *               processor; whatever it left there, the completer has recorded here, so at most
 *               one charge each and a charge here exactly when there is one at the processor.
 *               `tok_processor_error` never charges at all.
 */
type KeyFate =
  { readonly kind: 'answered'; readonly stored: readonly AnsweredExchange[]; readonly anyLost: boolean } | { readonly kind: 'unanswered' };

const fateOf = (exchanges: readonly Exchange[]): KeyFate => {
  const stored = exchanges.filter(isStoredAnswer);
  const anyLost = exchanges.some((exchange) => exchange.kind !== 'answered');
  return stored.length > 0 ? { kind: 'answered', stored, anyLost } : { kind: 'unanswered' };
};

/** The charge id a stored answer names: the charge itself for a 201, the embedded charge for a 402. */
const answeredChargeId = (answer: AnsweredExchange): string | undefined => {
  try {
    const body = JSON.parse(answer.body.toString('utf8')) as { id?: unknown; charge?: { id?: unknown } };
    const id = answer.status === 402 ? body.charge?.id : body.id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
};

const auditExactlyOnce = (run: LoadRun, account: AccountId, snapshot: ServerSnapshot): AuditResult => {
  const findings = new Findings();
  const keyByDownstream = new Map<string, IdempotencyKey>([...run.plans.keys()].map((key) => [downstreamKey(account, key), key]));
  const processorByKey = groupBy(snapshot.processorCharges, (charge) => keyByDownstream.get(charge.idempotency_key));
  const processorById = new Map(snapshot.processorCharges.map((charge) => [charge.id as string, charge]));
  const chargesByKey = new Map<IdempotencyKey, Charge[]>();
  for (const charge of snapshot.charges) {
    const key = keyByDownstream.get(processorById.get(charge.processor_charge_id)?.idempotency_key ?? '');
    if (key === undefined) {
      findings.add(`charge ${charge.id} belongs to no key of this run (processor charge ${charge.processor_charge_id})`);
      continue;
    }
    const known = chargesByKey.get(key);
    if (known === undefined) chargesByKey.set(key, [charge]);
    else known.push(charge);
  }

  const exchangesByKey = honestExchanges(run);
  const fates = { answered: 0, unanswered: 0, unansweredCharged: 0 };
  for (const [key, plan] of run.plans) {
    const fate = fateOf(exchangesByKey.get(key) ?? []);
    const charges = chargesByKey.get(key) ?? [];
    const atProcessor = processorByKey.get(key) ?? [];
    const counts = `${charges.length} charge(s), ${atProcessor.length} processor charge(s)`;
    if (fate.kind === 'unanswered') {
      fates.unanswered += 1;
      if (charges.length > 0) fates.unansweredCharged += 1;
      if (charges.length > 1 || charges.length !== atProcessor.length) findings.add(`${key}: unanswered key has ${counts}`);
      else if (plan.body.source === 'tok_processor_error' && atProcessor.length > 0) findings.add(`${key}: tok_processor_error charged`);
      continue;
    }
    fates.answered += 1;
    const [charge] = charges;
    const [processorCharge] = atProcessor;
    if (charges.length !== 1 || atProcessor.length !== 1 || charge === undefined || processorCharge === undefined) {
      findings.add(`${key}: answered ${fate.stored[0]?.status ?? '?'} but has ${counts}`);
      continue;
    }
    const expectSucceeded = fate.stored.every((answer) => answer.status !== 402);
    const namedIds = new Set(fate.stored.map(answeredChargeId));
    if (namedIds.size !== 1 || !namedIds.has(charge.id))
      findings.add(`${key}: answers name ${[...namedIds].join(', ')}, the charge is ${charge.id}`);
    if ((charge.status === 'succeeded') !== expectSucceeded || (processorCharge.status === 'succeeded') !== expectSucceeded) {
      findings.add(`${key}: answered ${fate.stored[0]?.status ?? '?'}, charge ${charge.status}, processor ${processorCharge.status}`);
    }
    if (charge.amount !== plan.body.amount || charge.currency !== plan.body.currency || processorCharge.amount !== plan.body.amount) {
      findings.add(
        `${key}: charged ${charge.amount} ${charge.currency} (processor ${processorCharge.amount}), asked ${plan.body.amount} ${plan.body.currency}`,
      );
    }
  }
  return findings.result(
    'exactly-once',
    'Exactly one charge and one processor charge per key that got a stored answer; at most one, here and there alike, for every other key',
    `${formatCount(run.plans.size)} keys: ${formatCount(fates.answered)} answered, ${formatCount(fates.unanswered)} never answered ` +
      `(${formatCount(fates.unansweredCharged)} of them charged: charges no client heard of, recorded all the same); ` +
      `${formatCount(snapshot.charges.length)} charges, ${formatCount(snapshot.processorCharges.length)} processor charges`,
  );
};

const sameAnswer = (a: AnsweredExchange, b: AnsweredExchange): boolean =>
  a.status === b.status && a.body.equals(b.body) && a.contentType === b.contentType && a.location === b.location;

const auditReplays = (run: LoadRun): AuditResult => {
  const findings = new Findings();
  let replays = 0;
  for (const [key, exchanges] of honestExchanges(run)) {
    const fate = fateOf(exchanges);
    if (fate.kind !== 'answered') continue;
    const originals = fate.stored.filter((answer) => !answer.replayed);
    replays += fate.stored.length - originals.length;
    // The first execution's answer is missing only when its request was abandoned or failed.
    if (originals.length > 1 || (originals.length === 0 && !fate.anyLost)) {
      findings.add(`${key}: ${originals.length} answers without Idempotent-Replayed: true`);
    }
    const reference = originals[0] ?? fate.stored[0];
    if (reference === undefined) continue;
    for (const answer of fate.stored) {
      if (!sameAnswer(answer, reference)) {
        findings.add(
          `${key}: a ${answer.replayed ? 'replay' : 'answer'} (${answer.status}) differs from the original (${reference.status})`,
        );
      }
    }
  }
  return findings.result(
    'replays-identical',
    'Every replay identical to the original: status, body byte for byte, Content-Type, Location, and Idempotent-Replayed: true',
    `${formatCount(replays)} replays compared`,
  );
};

const auditChangedBodies = (run: LoadRun): AuditResult => {
  const findings = new Findings();
  let refused = 0;
  let rateLimited = 0;
  for (const exchange of run.exchanges) {
    const isKeyReused = exchange.kind === 'answered' && exchange.status === 422 && problemSlug(exchange) === 'idempotency-key-reused';
    if (exchange.role === 'changed-body') {
      if (isKeyReused) refused += 1;
      else if (exchange.kind === 'answered' && exchange.status === 429) rateLimited += 1;
      else findings.add(`${exchange.key}: changed body answered ${exchange.kind === 'answered' ? String(exchange.status) : exchange.kind}`);
    } else if (exchange.kind === 'answered' && exchange.status === 422) {
      findings.add(`${exchange.key}: unchanged body (${exchange.role}) answered 422`);
    }
  }
  return findings.result(
    'changed-bodies-refused',
    '422 idempotency-key-reused for every changed body, and for nothing else',
    `${formatCount(refused + rateLimited + findings.all.length)} changed bodies: ${formatCount(refused)} answered 422` +
      (rateLimited > 0 ? `, ${formatCount(rateLimited)} refused earlier by the rate limiter (429)` : ''),
  );
};

const auditLedger = (snapshot: ServerSnapshot): AuditResult => {
  const findings = new Findings();
  const transactions = groupBy(snapshot.ledger, (entry) => entry.transactionId);
  for (const [id, entries] of transactions) {
    const debit = entries.filter((entry) => entry.direction === 'debit');
    const credit = entries.filter((entry) => entry.direction === 'credit');
    const sum = (side: readonly LedgerEntry[]) => side.reduce((total, entry) => total + entry.amount, 0);
    const currencies = new Set(entries.map((entry) => entry.currency));
    if (debit.length !== 1 || credit.length !== 1 || sum(debit) !== sum(credit) || currencies.size !== 1) {
      findings.add(
        `ledger transaction ${id}: ${debit.length} debit(s) of ${sum(debit)}, ${credit.length} credit(s) of ${sum(credit)}, currencies ${[...currencies].join('/')}`,
      );
    }
  }

  const ledgerByCharge = groupBy(
    snapshot.ledger.filter((entry) => entry.source.kind === 'charge' && entry.direction === 'credit'),
    (entry) => entry.source.id as string,
  );
  for (const charge of snapshot.charges) {
    const credits = ledgerByCharge.get(charge.id) ?? [];
    const expected = charge.status === 'succeeded' ? 1 : 0;
    if (credits.length !== expected || (expected === 1 && credits[0]?.amount !== charge.amount)) {
      findings.add(
        `${charge.status} charge ${charge.id} of ${charge.amount} has ${credits.length} ledger transaction(s)${credits[0] ? ` of ${credits[0].amount}` : ''}`,
      );
    }
  }
  return findings.result(
    'ledger-balanced',
    'Ledger balanced per transaction, and one ledger transaction of its amount per successful charge, none per failed one',
    `${formatCount(transactions.size)} ledger transactions, ${formatCount(snapshot.charges.length)} charges`,
  );
};

const auditFailures = (run: LoadRun): AuditResult => {
  const findings = new Findings();
  let injected = 0;
  let shed = 0;
  let cutOff = 0;
  const expectedStatuses = new Set([201, 402, 409, 422, 429]);
  for (const exchange of run.exchanges) {
    if (exchange.kind === 'cut-off') {
      cutOff += 1;
      continue;
    }
    if (exchange.kind === 'transport-error') {
      findings.add(`${exchange.key} (${exchange.role}): transport error after ${Math.round(exchange.latencyMs)} ms: ${exchange.message}`);
      continue;
    }
    const token = run.plans.get(exchange.key)?.body.source;
    if (
      exchange.status === 503 &&
      problemSlug(exchange) === 'processor-unavailable' &&
      token !== undefined &&
      injectedFaultTokens.has(token)
    ) {
      injected += 1;
    } else if (isShedLoad(exchange)) {
      shed += 1;
    } else if (!expectedStatuses.has(exchange.status)) {
      findings.add(
        `${exchange.key} (${exchange.role}, ${token ?? '?'}): ${exchange.status} ${problemSlug(exchange) ?? exchange.body.toString('utf8').slice(0, 120)}`,
      );
    }
  }
  return findings.result(
    'no-unexpected-failures',
    'No 5xx other than the injected ones and load shed with Retry-After, no transport errors other than the deliberate client timeouts, no unexpected status',
    `${formatCount(run.exchanges.length)} requests: ${formatCount(injected)} injected 503s, ${formatCount(shed)} shed with Retry-After, ${formatCount(cutOff)} deliberately abandoned`,
  );
};

const auditRecovered = (recovery: AfterRecovery): AuditResult => {
  const findings = new Findings();
  if (!recovery.drained) findings.add(`${formatCount(recovery.pointsLeft)} recovery point(s) still unresolved when the wait ended`);
  const { succeeded, declined, notCharged } = recovery.resolved;
  return findings.result(
    'recovered',
    'The completer resolved every recovery point the run left, with no client coming back',
    `${formatCount(recovery.pointsAtLoadEnd)} recovery points when the load ended, resolved in ${(recovery.durationMs / 1000).toFixed(1)} s: ` +
      `${formatCount(succeeded)} charged, ${formatCount(declined)} declined, ${formatCount(notCharged)} not charged (nothing at the processor under the key)`,
  );
};

const auditCounterparts = (recovery: AfterRecovery): AuditResult => {
  const findings = new Findings();
  for (const equality of recovery.equalities) for (const failure of equality.failures) findings.add(failure);
  return findings.result(
    'counterparts',
    'After recovery, every processor charge and refund has exactly one Retrysafe counterpart and one event; the balance is their sum',
    recovery.equalities.map(equalityLine).join('; '),
  );
};

/** The audits over a run and what it left on the server once the completer had finished. */
export const audit = (run: LoadRun, account: AccountId, snapshot: ServerSnapshot, recovery: AfterRecovery): AuditResult[] => [
  auditRecovered(recovery),
  auditCounterparts(recovery),
  auditExactlyOnce(run, account, snapshot),
  auditReplays(run),
  auditChangedBodies(run),
  auditLedger(snapshot),
  auditFailures(run),
];
