import { defaultLeaseMarginMs, type IdempotencyEngine, type UnresolvedRecoveryPoint } from '@retrysafe/idempotency';
import type { PaymentsStore } from '../payments/payments-store.js';
import type {
  CardProcessor,
  ProcessorListCursor,
  ProcessorListQuery,
  ProcessorMetadata,
  ProcessorPage,
  ProcessorUnavailable,
} from '../payments/processor-client/card-processor.js';
import { accountNamedBy } from '../payments/processor-metadata.js';
import { paymentRecoveryOf } from '../payments/recovery-point.js';
import { processorSettleMs } from '../shared/idempotency-engine.js';
import type { AccountId } from '../shared/ids.js';
import { createLogger } from '../shared/logger.js';
import { runSweep } from '../shared/recovery-run.js';
import { type Classification, type ClassificationKind, classificationKinds, type Judged } from './classification.js';
import { joinCharge, joinRefund, type JoinDeps } from './join.js';
import { type ProcessorListing, processorListings, type RunSummary, type WatermarkStore } from './watermarks.js';

export interface ReconcilerDeps {
  readonly processor: CardProcessor;
  readonly store: PaymentsStore;
  /** Commits what was lost without a claim, and lists the recovery points the completer has yet to finish. */
  readonly recoveryPoints: Pick<IdempotencyEngine, 'finish' | 'recoveryPointsClaimedBefore'>;
  readonly accountExists: (account: string) => Promise<boolean>;
  readonly watermarks: WatermarkStore;
  readonly now: () => number;
  /** RECOVERY_STUCK_AFTER_SECONDS, in milliseconds. */
  readonly stuckAfterMs: number;
}

export interface ReconcileOptions {
  /** Epoch milliseconds at which the run stops taking on objects. */
  readonly deadlineMs: number;
  /**
   * Walk from here (epoch milliseconds on the processor's clock) instead of from the watermarks,
   * and leave them where they are: an audit of a past stretch, which records what was lost as any run does.
   */
  readonly since?: number;
}

export interface ListingReport {
  readonly counts: Readonly<Record<ClassificationKind, number>>;
  /** Objects whose join failed (logged); they hold the watermark back and are judged again next run. */
  readonly failed: number;
  /** False when the walk stopped before the settled end of the listing: the deadline, or the processor or DynamoDB down. */
  readonly finished: boolean;
  /** Where the walk started, and the watermark after it; undefined before any. */
  readonly walkedFrom: number | undefined;
  readonly watermark: number | undefined;
}

/** A recovery point unresolved for longer than RECOVERY_STUCK_AFTER_SECONDS. */
export interface StuckRecoveryPoint {
  readonly account: AccountId;
  readonly idempotencyKey: string;
  readonly kind: 'charge' | 'refund';
  readonly downstreamKey: string;
  /** Epoch milliseconds of its first claim. */
  readonly since: number;
  readonly ageMs: number;
}

export interface ReconciliationReport {
  readonly listings: Readonly<Record<ProcessorListing, ListingReport>>;
  /** Every object judged other than matched, oldest first per listing: what was recovered, what disagrees, what is not ours, what waits. */
  readonly notable: readonly Judged[];
  readonly stuck: readonly StuckRecoveryPoint[];
}

/** What makes a run unclean: a disagreement, an object not from Retrysafe, a stuck point, or an object that could not be judged. */
export const summaryNeedsAttention = ({ counts, failed, stuck }: RunSummary): boolean =>
  stuck > 0 || counts.mismatched > 0 || counts.unknown > 0 || failed > 0;

export const needsAttention = (report: ReconciliationReport): boolean => summaryNeedsAttention(summaryOf(report, 0));

/**
 * Processor listing times come from the clocks of the processor's instances, which may differ by
 * the skew the idempotency engine's lease margin allows; each walk starts this much before the
 * watermark so an object stamped late by a slow clock is still seen. Re-reading changes nothing:
 * an object already recorded is matched.
 */
export const watermarkOverlapMs = 2 * defaultLeaseMarginMs;

/** Objects read per page of a listing: the processor's largest page. */
const pageSize = 100;

const logger = createLogger('reconciler');

interface ProcessorObject {
  readonly id: string;
  readonly idempotencyKey: string;
  readonly metadata: ProcessorMetadata;
  readonly createdAtMs: number;
}

/** What every walk of one run shares. */
interface Run {
  readonly deps: ReconcilerDeps;
  readonly options: ReconcileOptions;
  readonly join: JoinDeps;
  /** Only objects created before this are judged: a younger one may belong to a request still in flight. */
  readonly settledBefore: number;
  readonly notable: Judged[];
}

const noCounts = (): Record<ClassificationKind, number> =>
  Object.fromEntries(classificationKinds.map((kind) => [kind, 0])) as Record<ClassificationKind, number>;

/**
 * Walks one listing from its watermark (less the overlap), oldest first, judging every settled
 * object, and moves the watermark to where everything before has been judged for good: the
 * settled end of the listing, or the last object judged when the run stopped early, and never
 * past an object left to the completer or whose join failed, so the next run looks at it again.
 */
const walkListing = async <T extends ProcessorObject>(
  run: Run,
  listing: ProcessorListing,
  list: (query: ProcessorListQuery) => Promise<ProcessorPage<T> | ProcessorUnavailable>,
  join: (deps: JoinDeps, object: T) => Promise<Classification>,
): Promise<ListingReport> => {
  const { deps, options } = run;
  const watermark = await deps.watermarks.read(listing);
  const walkedFrom = options.since ?? (watermark === undefined ? undefined : Math.max(0, watermark - watermarkOverlapMs));
  const counts = noCounts();
  let judgedThrough = walkedFrom ?? 0;
  let heldAt = Number.POSITIVE_INFINITY;
  const outcome = await runSweep<T>(
    {
      name: `reconcile ${listing}`,
      candidates: async function* () {
        let cursor: ProcessorListCursor | undefined;
        do {
          const page = await list({
            ...(walkedFrom === undefined ? {} : { since: walkedFrom }),
            ...(cursor === undefined ? {} : { cursor }),
            limit: pageSize,
          });
          if (page.kind === 'unavailable') throw new Error(`The processor could not list its ${listing}: ${page.reason}, ${page.detail}`);
          // Oldest first: the first unsettled object ends the settled part of the listing.
          const young = page.objects.findIndex((object) => object.createdAtMs >= run.settledBefore);
          const settled = young === -1 ? page.objects : page.objects.slice(0, young);
          if (settled.length > 0) yield settled;
          if (young !== -1) return;
          cursor = page.nextCursor;
        } while (cursor !== undefined);
      },
      recover: async (object) => {
        judgedThrough = Math.max(judgedThrough, object.createdAtMs);
        let classification: Classification;
        try {
          classification = await join(run.join, object);
        } catch (error) {
          heldAt = Math.min(heldAt, object.createdAtMs);
          throw error;
        }
        counts[classification.kind]++;
        if (classification.kind === 'pending') heldAt = Math.min(heldAt, object.createdAtMs);
        if (classification.kind !== 'matched') {
          const account = accountNamedBy(object.metadata);
          run.notable.push({
            listing,
            processorId: object.id,
            idempotencyKey: object.idempotencyKey,
            account: account === undefined ? undefined : (account as AccountId),
            createdAtMs: object.createdAtMs,
            classification,
          });
        }
        return classification.kind === 'recovered';
      },
    },
    deps.now,
    options.deadlineMs,
    logger,
  );
  const reached = Math.min(outcome.finished ? run.settledBefore : judgedThrough, heldAt);
  const moved = options.since === undefined && reached > (watermark ?? 0) && (await deps.watermarks.advance(listing, reached, deps.now()));
  return { counts, failed: outcome.failed, finished: outcome.finished, walkedFrom, watermark: moved ? reached : watermark };
};

/** Whether an account exists, asked of DynamoDB once per account and run. */
const remembered = (exists: (account: string) => Promise<boolean>): ((account: string) => Promise<boolean>) => {
  const known = new Map<string, boolean>();
  return async (account) => {
    const cached = known.get(account);
    if (cached !== undefined) return cached;
    const answer = await exists(account);
    known.set(account, answer);
    return answer;
  };
};

const stuckOf = (point: UnresolvedRecoveryPoint, nowMs: number): StuckRecoveryPoint => {
  const recovery = paymentRecoveryOf(point.recovery);
  return {
    account: (point.recovery.scope ?? '') as AccountId,
    idempotencyKey: point.recovery.key,
    kind: recovery.kind,
    downstreamKey: recovery.downstreamKey,
    since: point.recovery.since,
    ageMs: nowMs - point.recovery.since,
  };
};

/**
 * One reconciliation: the processor's charges, then its refunds, each walked from its watermark
 * and joined with Retrysafe's records (join.ts); every recovery point unresolved for longer than
 * `stuckAfterMs` reported. What is lost is recorded; what disagrees is only reported.
 */
export const reconcile = async (deps: ReconcilerDeps, options: ReconcileOptions): Promise<ReconciliationReport> => {
  const nowMs = deps.now();
  // Every unresolved point, however recent: its object is the completer's to finish.
  const unresolved = await deps.recoveryPoints.recoveryPointsClaimedBefore(Number.MAX_SAFE_INTEGER);
  const run: Run = {
    deps,
    options,
    join: {
      store: deps.store,
      commits: deps.recoveryPoints,
      accountExists: remembered(deps.accountExists),
      pendingKeys: new Set(unresolved.map((point) => paymentRecoveryOf(point.recovery).downstreamKey)),
      now: deps.now,
    },
    settledBefore: nowMs - processorSettleMs,
    notable: [],
  };
  const charges = await walkListing(run, 'charges', (query) => deps.processor.listCharges(query), joinCharge);
  const refunds = await walkListing(run, 'refunds', (query) => deps.processor.listRefunds(query), joinRefund);
  const report: ReconciliationReport = {
    listings: { charges, refunds },
    notable: run.notable,
    stuck: unresolved
      .filter((point) => point.recovery.since <= nowMs - deps.stuckAfterMs)
      .map((point) => stuckOf(point, nowMs))
      .sort((a, b) => a.since - b.since),
  };
  await deps.watermarks.recordRun(summaryOf(report, deps.now()));
  return report;
};

/** The report's counts summed over the listings: what `npm run ops -- status` shows of the last run. */
export const summaryOf = (report: ReconciliationReport, atMs: number): RunSummary => {
  const walks = processorListings.map((listing) => report.listings[listing]);
  const counts = noCounts();
  for (const walk of walks) for (const kind of classificationKinds) counts[kind] += walk.counts[kind];
  return {
    at: atMs,
    counts,
    failed: walks.reduce((sum, walk) => sum + walk.failed, 0),
    stuck: report.stuck.length,
    finished: walks.every((walk) => walk.finished),
  };
};
