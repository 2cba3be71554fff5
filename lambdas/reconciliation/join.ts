import { type IdempotencyEngine, withAtomicCommit } from '@retrysafe/idempotency';
import { noRequestTrail } from '../events/outbox.js';
import { chargeOutcomeOf, decideCharge } from '../payments/charge-decision.js';
import type { Decision } from '../payments/decision.js';
import { type DownstreamKey, parseDownstreamKey } from '../payments/key-guard.js';
import type { PaymentsStore } from '../payments/payments-store.js';
import type { ProcessorChargeSnapshot, ProcessorMetadata, ProcessorRefundSnapshot } from '../payments/processor-client/card-processor.js';
import { accountNamedBy, chargeNamedBy } from '../payments/processor-metadata.js';
import type { KeyGuardItem } from '../payments/records.js';
import { decideRefund } from '../payments/refund-decision.js';
import { type AccountId, parseId } from '../shared/ids.js';
import type { Classification, Difference, UnknownReason } from './classification.js';
import { chargeFingerprint, chargeRequestOf, refundFingerprint, refundRequestOf } from './rebuilt-request.js';

/**
 * One processor object joined with Retrysafe's records by its downstream key, and classified
 * (classification.ts). What Retrysafe lost is recorded by the decision the request itself would
 * have come to (decideCharge, decideRefund) and committed with its key guard's conditional put,
 * so of the reconciler, the completer and a late retry, exactly one records it; the others find
 * the guard and match.
 */
export interface JoinDeps {
  readonly store: PaymentsStore;
  /** Commits a decision's writes without a claim: the request's key is nobody's any more. */
  readonly commits: Pick<IdempotencyEngine, 'finish'>;
  /** Whether the account exists (has an API key); asked once per account and run. */
  readonly accountExists: (account: string) => Promise<boolean>;
  /** The downstream keys of every unresolved recovery point: the completer's to finish. */
  readonly pendingKeys: ReadonlySet<string>;
  readonly now: () => number;
}

const unknown = (reason: UnknownReason): Classification => ({ kind: 'unknown', reason });

const matchedUnless = (differences: readonly (Difference | undefined)[]): Classification => {
  const found = differences.filter((difference) => difference !== undefined);
  return found.length === 0 ? { kind: 'matched' } : { kind: 'mismatched', differences: found };
};

const differ = (field: Difference['field'], processor: string | number, retrysafe: string | number): Difference | undefined =>
  processor === retrysafe ? undefined : { field, processor, retrysafe };

type Owner =
  | { readonly kind: 'ours'; readonly tenant: AccountId; readonly key: DownstreamKey }
  | { readonly kind: 'settled'; readonly as: Classification };

/** Whose the object is: a tenant's, by its key and account; nobody's here; or the completer's for now. */
const ownerOf = async (
  deps: JoinDeps,
  object: { readonly idempotencyKey: string; readonly metadata: ProcessorMetadata },
): Promise<Owner> => {
  const key = parseDownstreamKey(object.idempotencyKey);
  if (key === undefined) return { kind: 'settled', as: unknown('foreign-key') };
  if (deps.pendingKeys.has(key)) return { kind: 'settled', as: { kind: 'pending' } };
  const account = accountNamedBy(object.metadata);
  if (account === undefined || account === '') return { kind: 'settled', as: unknown('no-account') };
  if (!(await deps.accountExists(account))) return { kind: 'settled', as: unknown('account-not-found') };
  return { kind: 'ours', tenant: account as AccountId, key };
};

/** False when the key guard's put was rejected: another executor recorded the object first, and nothing of this was written. */
const commitOnce = async (deps: JoinDeps, decision: Decision): Promise<boolean> => {
  if (decision.kind === 'answer') throw new Error('A processor object decided to an answer without writes: there is nothing to record');
  const { writes, onRejected } = decision.commit;
  let rivalFirst = false;
  await deps.commits.finish(
    undefined,
    withAtomicCommit(decision.response, {
      writes,
      onRejected: (rejected) => {
        if (onRejected === undefined) throw new Error(`Write ${rejected.index} was rejected at commit`);
        const answer = onRejected(rejected);
        rivalFirst = true;
        return answer;
      },
    }),
  );
  return !rivalFirst;
};

/** The guard a rival executor committed while this one decided. */
const rivalGuard = async (deps: JoinDeps, tenant: AccountId, key: DownstreamKey): Promise<KeyGuardItem> => {
  const guard = await deps.store.findKeyGuard(tenant, key);
  if (guard === undefined) throw new Error(`The key guard ${key} rejected a put, yet cannot be read`);
  return guard;
};

const compareCharge = async (deps: JoinDeps, tenant: AccountId, guard: KeyGuardItem, charge: ProcessorChargeSnapshot) => {
  if (guard.resource.kind !== 'charge') return matchedUnless([{ field: 'record', processor: 'charge', retrysafe: guard.resource.kind }]);
  const recorded = await deps.store.readCharge(tenant, guard.resource.id);
  if (recorded === undefined) return matchedUnless([{ field: 'record', processor: charge.id, retrysafe: null }]);
  return matchedUnless([
    differ('amount', charge.amount, recorded.amount),
    differ('currency', charge.currency, recorded.currency),
    // The processor declines what Retrysafe records as failed.
    differ('status', charge.status, recorded.status === 'failed' ? 'declined' : recorded.status),
    differ('processor_id', charge.id, recorded.processor_charge_id),
  ]);
};

export const joinCharge = async (deps: JoinDeps, charge: ProcessorChargeSnapshot): Promise<Classification> => {
  const owner = await ownerOf(deps, charge);
  if (owner.kind === 'settled') return owner.as;
  const { tenant, key } = owner;
  const guard = await deps.store.findKeyGuard(tenant, key);
  if (guard !== undefined) return compareCharge(deps, tenant, guard, charge);
  const request = chargeRequestOf(charge);
  if (request === undefined) return unknown('not-a-retrysafe-request');
  const decision = decideCharge(deps.store, {
    outcome: chargeOutcomeOf(charge),
    request,
    tenant,
    identity: { downstreamKey: key, fingerprint: chargeFingerprint(request) },
    nowMs: deps.now(),
    // The processor's record carries no request: nothing in Retrysafe saw one finish.
    trail: noRequestTrail,
  });
  if (await commitOnce(deps, decision)) return { kind: 'recovered' };
  return compareCharge(deps, tenant, await rivalGuard(deps, tenant, key), charge);
};

const compareRefund = async (deps: JoinDeps, tenant: AccountId, guard: KeyGuardItem, refund: ProcessorRefundSnapshot) => {
  if (guard.resource.kind !== 'refund') return matchedUnless([{ field: 'record', processor: 'refund', retrysafe: guard.resource.kind }]);
  const recorded = await deps.store.readRefund(tenant, guard.resource.id);
  if (recorded === undefined) return matchedUnless([{ field: 'record', processor: refund.id, retrysafe: null }]);
  return matchedUnless([
    differ('amount', refund.amount, recorded.amount),
    differ('currency', refund.currency, recorded.currency),
    differ('status', refund.status, recorded.status),
    differ('processor_id', refund.id, recorded.processor_refund_id),
  ]);
};

export const joinRefund = async (deps: JoinDeps, refund: ProcessorRefundSnapshot): Promise<Classification> => {
  const owner = await ownerOf(deps, refund);
  if (owner.kind === 'settled') return owner.as;
  const { tenant, key } = owner;
  const guard = await deps.store.findKeyGuard(tenant, key);
  if (guard !== undefined) return compareRefund(deps, tenant, guard, refund);
  const chargeId = parseId('charge', chargeNamedBy(refund.metadata) ?? '');
  if (chargeId === undefined) return unknown('not-a-retrysafe-request');
  const charge = await deps.store.readCharge(tenant, chargeId);
  // Retrysafe refunds only charges it holds, and holds them for good: the refund's charge missing, or
  // another processor charge than the refund's, is a disagreement to report, not a refund to record.
  if (charge === undefined) return matchedUnless([{ field: 'charge', processor: chargeId, retrysafe: null }]);
  const disagreement = matchedUnless([
    differ('charge', refund.processorChargeId, charge.processor_charge_id),
    differ('currency', refund.currency, charge.currency),
  ]);
  if (disagreement.kind !== 'matched') return disagreement;
  const request = refundRequestOf(refund);
  const decision = decideRefund(deps.store, {
    outcome: { kind: 'succeeded', processorRefundId: refund.id, replayed: true },
    charge,
    amount: refund.amount,
    tenant,
    identity: { downstreamKey: key, fingerprint: refundFingerprint(chargeId, request) },
    nowMs: deps.now(),
    // The processor's record carries no request: nothing in Retrysafe saw one finish.
    trail: noRequestTrail,
  });
  if (await commitOnce(deps, decision)) return { kind: 'recovered' };
  return compareRefund(deps, tenant, await rivalGuard(deps, tenant, key), refund);
};
