import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type AtomicCommit, type CommittableResponse, takeAtomicCommit } from './atomic-commit.js';
import { CompletedCache } from './completed-cache.js';
import type { HttpResponse } from './http-response.js';
import type { IdempotencyKey } from './key-header.js';
import type { IdempotencyLogger } from './logger.js';
import type { KeyOwnership } from './ownership.js';
import { genericProblemAnswers, type IdempotencyProblem, type ProblemAnswers } from './problems.js';
import { classify, type IdempotencyRecord, type KeyState, keyStateOf, retryAfterSeconds, type Verdict } from './state-machine.js';
import {
  type Claim,
  type ClaimResult,
  type DueRecoveryPoint,
  IdempotencyStore,
  recordId,
  type RecordTable,
  type UnresolvedRecoveryPoint,
} from './store.js';
import {
  defaultStoredHeaders,
  encodeResponse,
  maxEncodedResponseBytes,
  replayResponse,
  ResponseTooLargeError,
  storedForm,
  type StoredResponse,
} from './stored-response.js';

export interface IdempotencyEngineOptions {
  /** Defaults to one client per process, with the SDK's default configuration. */
  readonly client?: DynamoDBDocumentClient;
  /** The table of records (see table.ts), or a function read per request, e.g. to look up an environment variable. */
  readonly tableName: string | (() => string);
  /** For a table with a sort key: the value every record takes (see store.ts). */
  readonly sortKey?: RecordTable['sortKey'];
  /** The sparse index of recovery points; without one, requests cannot claim their keys as recovery points. */
  readonly recoveryIndex?: string;
  /**
   * How long after a recovery point's executor stopped (its lease ran out, or it was suspended)
   * the completer may take it over: long enough for whatever the executor set in motion outside
   * (a processor request in flight) to have settled, so the completer's look-up sees its result.
   */
  readonly recoveryDelayMs?: number;
  /** How long a key is remembered; defaults to 86400 (24 hours). */
  readonly ttlSeconds?: number;
  /** Response headers stored and replayed alongside status and body. */
  readonly storedHeaders?: readonly string[];
  /** Added to the executor's remaining time to size the lease, covering clock skew between hosts. */
  readonly leaseMarginMs?: number;
  /** The function timeout: no lease is ever longer. */
  readonly functionTimeoutMs?: number;
  /** Wait for an in-flight first request to finish and answer with its result instead of "in use". */
  readonly wait?: { readonly timeoutMs: number; readonly pollIntervalMs?: number };
  /** Serve replays of up to this many COMPLETED records from memory; absent, every replay reads DynamoDB. */
  readonly cacheEntries?: number;
  /** Told what the engine could not do (release a claim, keep a lease); defaults to `console`. */
  readonly logger?: IdempotencyLogger;
  /** The answers to give for the engine's and the middleware's problems; defaults to generic RFC 9457 problems. */
  readonly problems?: ProblemAnswers;
  /** Where the default problems' `type` URIs start (see problems.ts); ignored when `problems` is given. */
  readonly problemTypeBase?: string;
  /**
   * For a table replicated across regions with last-writer-wins: which region may claim each
   * key (see ownership.ts). A key owned elsewhere is only ever answered from this region's replica.
   */
  readonly ownership?: KeyOwnership;
  readonly now?: () => number;
}

/** A day: long enough for any client's retries, short enough that the table stays small. */
export const defaultTtlSeconds = 86_400;

/**
 * One client per process unless a caller passes its own. Undefined values are left out of items,
 * as a recovery point without a scope has none.
 */
let sharedClient: DynamoDBDocumentClient | undefined;

const defaultClient = (): DynamoDBDocumentClient => {
  sharedClient ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
  return sharedClient;
};

/** One request under a key, as an adapter read it from its event. */
export interface IdempotentRequest {
  /** Partitions the key space, e.g. by tenant, so two tenants' identical keys never meet. */
  readonly scope: string | undefined;
  readonly key: IdempotencyKey;
  /** Identifies the request behind the key: the same key with another fingerprint is a reuse. */
  readonly fingerprint: string;
  /** How much longer this executor may run; the lease covers it. */
  readonly remainingMs: number;
  /**
   * Present for a request whose execution may reach a system outside: the claim becomes a
   * recovery point that keeps this description of the request (the validated request, the
   * downstream key), never expires while unresolved, and is suspended rather than released.
   * `since` carries a taken-over point's first claim forward; absent, it is now.
   */
  readonly recovery?: { readonly request: Readonly<Record<string, unknown>>; readonly since?: number };
  /** Told what became of the request under its key, for an adapter to count; the engine itself records nothing. */
  readonly observe?: IdempotencyObserver;
}

/**
 * What became of a request under its key: how it got (or did not get) the key, then, for one
 * that held it and gave it back without an answer, `released` (a retry executes again) or
 * `suspended` (a recovery point waits for the retry or the completer). `resumed` is a recovery
 * point taken over; `takeover` an ordinary claim whose executor's lease ran out.
 */
export type IdempotencyOutcome = 'first-execution' | 'replay' | 'in-use' | 'reused' | 'takeover' | 'resumed' | 'released' | 'suspended';

export type IdempotencyObserver = (outcome: IdempotencyOutcome) => void;

/** What trying to claim a key came to. */
export type Acquisition =
  | { readonly kind: 'claimed'; readonly claim: Claim }
  /** The key's first request has finished: its answer, to replay. */
  | { readonly kind: 'replay'; readonly response: StoredResponse }
  /** The key was first used by another request; `original` is that request's answer once it has one. */
  | { readonly kind: 'key-reused'; readonly original: StoredResponse | undefined }
  | { readonly kind: 'key-in-use'; readonly retryAfterSeconds: number };

export type Answered = Exclude<Acquisition, { readonly kind: 'claimed' }>;

const outcomeOfAnswer = (answered: Answered): IdempotencyOutcome => {
  switch (answered.kind) {
    case 'replay':
      return 'replay';
    case 'key-reused':
      return 'reused';
    case 'key-in-use':
      return 'in-use';
  }
};

/** How a claim got its key, from the record it replaced: only a live executor's record makes it someone else's. */
const outcomeOfClaim = (previous: IdempotencyRecord | undefined): IdempotencyOutcome => {
  if (previous?.status !== 'IN_PROGRESS') return 'first-execution';
  return previous.recovery === undefined ? 'takeover' : 'resumed';
};

/**
 * THE RULE for what a request leaves under its key. An outcome below 500 is the request's final
 * answer: it is stored and every retry gets it back, whether the handler returned it or threw it
 * as a problem (a 404 is a 404 however it was produced). 500 and above, and anything thrown that
 * is not a problem (a bug, a dependency failing), are not final: the key is released, nothing is
 * committed, and a retry executes again.
 */
export const isFinal = (response: HttpResponse): boolean => response.statusCode < 500;

/**
 * Leases end this long after the executor's own deadline. Lambda hosts keep their clocks
 * synchronised to well under a second; five seconds of margin means a host whose clock runs
 * ahead never sees a live executor's lease as expired.
 */
export const defaultLeaseMarginMs = 5_000;

const acquisitionFor = (verdict: Verdict): Answered | undefined => {
  switch (verdict.kind) {
    case 'absent':
    case 'lease-expired':
      return undefined;
    case 'fingerprint-mismatch':
      return { kind: 'key-reused', original: verdict.original };
    case 'completed':
      return { kind: 'replay', response: verdict.response };
    case 'in-progress':
      return { kind: 'key-in-use', retryAfterSeconds: retryAfterSeconds(verdict) };
  }
};

/** A claim lost and retaken in every round: the key is contended, and the client should come back. */
const maxClaimRounds = 3;

type ClaimedWithPrevious = Extract<ClaimResult, { readonly kind: 'claimed' }>;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The idempotency engine, knowing nothing of Middy or HTTP frameworks: claim a key (or learn
 * what already holds it), then finish the claim with the request's outcome, committing it
 * atomically with the request's business writes, or release it. States and conditions live in
 * state-machine.ts, DynamoDB requests in store.ts; the engine orders them. Adapters (the Middy
 * middleware, a queue consumer) read a request from their event and call it.
 */
export class IdempotencyEngine {
  private readonly store: IdempotencyStore;
  private readonly now: () => number;
  private readonly ttlSeconds: number;
  private readonly storedHeaders: readonly string[];
  private readonly leaseMarginMs: number;
  private readonly functionTimeoutMs: number;
  private readonly recoveryDelayMs: number;
  private readonly cache: CompletedCache | undefined;
  private readonly logger: IdempotencyLogger;
  private readonly problems: ProblemAnswers;
  /** The observer of the request that holds each claim, told when the claim is given back. */
  private readonly observers = new WeakMap<Claim, IdempotencyObserver>();

  constructor(private readonly options: IdempotencyEngineOptions) {
    const { tableName } = options;
    this.store = new IdempotencyStore(options.client ?? defaultClient(), {
      name: typeof tableName === 'function' ? tableName : () => tableName,
      ...(options.sortKey === undefined ? {} : { sortKey: options.sortKey }),
      ...(options.recoveryIndex === undefined ? {} : { recoveryIndex: options.recoveryIndex }),
    });
    this.now = options.now ?? Date.now;
    this.ttlSeconds = options.ttlSeconds ?? defaultTtlSeconds;
    this.storedHeaders = options.storedHeaders ?? defaultStoredHeaders;
    this.leaseMarginMs = options.leaseMarginMs ?? defaultLeaseMarginMs;
    this.functionTimeoutMs = options.functionTimeoutMs ?? 900_000;
    this.recoveryDelayMs = options.recoveryDelayMs ?? 0;
    this.cache = options.cacheEntries === undefined ? undefined : new CompletedCache(options.cacheEntries);
    this.logger = options.logger ?? console;
    this.problems = options.problems ?? genericProblemAnswers(options.problemTypeBase);
  }

  /** The HTTP answer to a request that did not get its key. */
  answerFor(answered: Answered): HttpResponse {
    switch (answered.kind) {
      case 'replay':
        return replayResponse(answered.response);
      case 'key-reused':
        return this.problems({ kind: 'key-reused' });
      case 'key-in-use':
        return this.problems({ kind: 'key-in-use', retryAfterSeconds: answered.retryAfterSeconds });
    }
  }

  /** The answer to one of the engine's or the middleware's problems, in the form the caller chose. */
  answerProblem(problem: IdempotencyProblem): HttpResponse {
    return this.problems(problem);
  }

  /** Claims the key with one conditional write, or answers from the record that holds it. */
  async acquire(request: IdempotentRequest): Promise<Acquisition> {
    const acquired = await this.tryToAcquire(request);
    if (request.observe !== undefined) {
      if (acquired.kind === 'claimed') this.observers.set(acquired.claim, request.observe);
      request.observe(acquired.kind === 'claimed' ? outcomeOfClaim(acquired.previous) : outcomeOfAnswer(acquired));
    }
    return acquired.kind === 'claimed' ? { kind: 'claimed', claim: acquired.claim } : acquired;
  }

  private async tryToAcquire(request: IdempotentRequest): Promise<ClaimedWithPrevious | Answered> {
    const pk = recordId(request.scope, request.key);
    const cached = this.cache?.get(pk, this.now());
    if (cached !== undefined) {
      return cached.fingerprint === request.fingerprint
        ? { kind: 'replay', response: cached.response }
        : { kind: 'key-reused', original: cached.response };
    }
    const owned = await this.ownerAnswer(pk, request.fingerprint);
    if (owned !== undefined) return owned;
    for (let round = 0; round < maxClaimRounds; round++) {
      const nowMs = this.now();
      const leaseUntil = nowMs + Math.min(request.remainingMs, this.functionTimeoutMs) + this.leaseMarginMs;
      const result = await this.store.claim({
        pk,
        fingerprint: request.fingerprint,
        token: randomUUID(),
        nowMs,
        leaseUntil,
        expiresAt: this.expiresAt(nowMs),
        ...(request.recovery === undefined
          ? {}
          : {
              recovery: {
                point: {
                  scope: request.scope,
                  key: request.key,
                  request: request.recovery.request,
                  since: request.recovery.since ?? nowMs,
                },
                recoverAt: leaseUntil + this.recoveryDelayMs,
              },
            }),
      });
      if (result.kind === 'claimed') return result;
      const answered = acquisitionFor(
        await this.waitForOutcome(pk, request.fingerprint, this.observe(result.record, request.fingerprint, nowMs)),
      );
      if (answered !== undefined) return answered;
    }
    return { kind: 'key-in-use', retryAfterSeconds: 1 };
  }

  /**
   * Ends a claim with the request's outcome, by the rule above: a final outcome is stored,
   * together with the business writes it carries (withAtomicCommit) in one transaction; any
   * other ends the claim without an outcome (`abandon`). Returns the answer to give, which is the
   * outcome itself unless this executor lost its lease to a retry (then: what the retry stored).
   * Without a claim (a request that sent no key) the business writes still commit, alone. If
   * finishing fails, the claim is abandoned before the error propagates.
   */
  async finish(claim: Claim | undefined, outcome: HttpResponse | CommittableResponse): Promise<HttpResponse> {
    if (claim === undefined) {
      const { response, commit } = takeAtomicCommit(outcome);
      return this.commitAlone(response, commit);
    }
    try {
      return await this.finishWith(claim, outcome);
    } catch (error) {
      await this.abandon(claim);
      throw error;
    }
  }

  /**
   * Ends a claim without an outcome: an ordinary claim is released so a retry executes again; a
   * recovery point is suspended, because what its handler set in motion outside may have
   * happened, and only a look at it (the retry's, or the completer's) can tell.
   */
  async abandon(claim: Claim): Promise<void> {
    if (claim.recoverable) await this.suspend(claim, this.now() + this.recoveryDelayMs);
    else await this.release(claim);
  }

  /** Gives the key back so a retry executes again; a no-op when this executor no longer holds it. */
  async release(claim: Claim): Promise<void> {
    this.observers.get(claim)?.('released');
    try {
      await this.store.release(claim);
    } catch (error) {
      // The lease still bounds how long the key stays blocked.
      this.logger.warn('Could not release an idempotency claim; it frees itself when the lease expires', { error });
    }
  }

  /**
   * Ends this executor's lease on a recovery point, keeping the point: the client's retry may
   * take it over at once, the completer from `recoverAt`.
   */
  async suspend(claim: Claim, recoverAt: number): Promise<void> {
    this.observers.get(claim)?.('suspended');
    try {
      await this.store.suspend(claim, this.now(), recoverAt);
    } catch (error) {
      // The lease ends by itself; the completer then finds the point as it would after a crash.
      this.logger.warn('Could not suspend a recovery point; it resumes when its lease expires', { error, pk: claim.pk });
    }
  }

  /** The state of a key's record, for its owner asking what became of a request (see keyStateOf). */
  async describe(scope: string | undefined, key: IdempotencyKey): Promise<KeyState> {
    return keyStateOf(await this.store.read(recordId(scope, key)), this.now());
  }

  /** Recovery points the completer may take over now, at most `limit` of them. */
  dueRecoveryPoints(limit: number): Promise<DueRecoveryPoint[]> {
    return this.store.dueRecoveryPoints(this.now(), limit);
  }

  /** Every recovery point still unresolved whose request first claimed its key before `epochMs`. */
  recoveryPointsClaimedBefore(epochMs: number): Promise<UnresolvedRecoveryPoint[]> {
    return this.store.unresolvedRecoveryPoints(epochMs);
  }

  private expiresAt(nowMs: number): number {
    return Math.floor(nowMs / 1000) + this.ttlSeconds;
  }

  /**
   * Undefined when this region may claim the key. Otherwise the answer its replica gives: the
   * owner's completed answer once it has replicated, and until then "in use", never an execution.
   */
  private async ownerAnswer(pk: string, fingerprint: string): Promise<Answered | undefined> {
    const { ownership } = this.options;
    if (ownership === undefined) return undefined;
    const nowMs = this.now();
    // Owners outlive the record by a full TTL: by then the owner's answer has long replicated.
    const owner = await ownership.claim(pk, nowMs, this.expiresAt(nowMs) + this.ttlSeconds);
    switch (owner.kind) {
      case 'here':
        return undefined;
      case 'contended':
        return { kind: 'key-in-use', retryAfterSeconds: 1 };
      case 'elsewhere': {
        const answered = acquisitionFor(
          await this.waitForOutcome(pk, fingerprint, this.observe(await this.store.read(pk), fingerprint, this.now())),
        );
        return answered ?? { kind: 'key-in-use', retryAfterSeconds: 1 };
      }
    }
  }

  private async finishWith(claim: Claim, outcome: CommittableResponse): Promise<HttpResponse> {
    const { response, commit, store } = takeAtomicCommit(outcome);
    if (store) return this.settle(claim, response, commit);
    await this.release(claim);
    return response;
  }

  private async settle(claim: Claim, response: HttpResponse, commit: AtomicCommit | undefined): Promise<HttpResponse> {
    if (!isFinal(response)) {
      await this.abandon(claim);
      return response;
    }
    const stored = storedForm(commit?.storedAs ?? response, this.storedHeaders);
    let encoded;
    try {
      encoded = encodeResponse(stored);
    } catch (error) {
      if (!(error instanceof ResponseTooLargeError)) throw error;
      await this.abandon(claim);
      return this.problems({ kind: 'record-too-large', encodedBytes: error.encodedBytes, maxBytes: maxEncodedResponseBytes });
    }
    const nowMs = this.now();
    const expiresAt = this.expiresAt(nowMs);
    const result =
      commit === undefined
        ? await this.store.complete(claim, encoded, nowMs, expiresAt)
        : await this.store.commit(claim, commit.writes, { response: encoded, nowMs, expiresAt });
    switch (result.kind) {
      case 'committed':
        this.cache?.remember(claim.pk, { fingerprint: claim.fingerprint, response: stored, expiresAt });
        return response;
      case 'claim-lost':
        this.logger.warn('Idempotency claim lost before completion: a retry took the key over after this lease expired', { pk: claim.pk });
        return this.answerLostClaim(result.record, claim.fingerprint);
      case 'write-rejected':
        if (commit?.onRejected === undefined) {
          throw new Error(`Business write ${result.index} was rejected at commit and the handler gave no alternative response`);
        }
        return this.finishWith(claim, commit.onRejected(result));
    }
  }

  private async commitAlone(response: HttpResponse, commit: AtomicCommit | undefined): Promise<HttpResponse> {
    if (commit === undefined) return response;
    const result = await this.store.commit(undefined, commit.writes, undefined);
    if (result.kind !== 'write-rejected') return response;
    if (commit.onRejected === undefined) throw new Error(`Business write ${result.index} was rejected at commit`);
    return takeAtomicCommit(commit.onRejected(result)).response;
  }

  private answerLostClaim(record: IdempotencyRecord | undefined, fingerprint: string): HttpResponse {
    const answered = acquisitionFor(this.observe(record, fingerprint, this.now()));
    return this.answerFor(answered ?? { kind: 'key-in-use', retryAfterSeconds: 1 });
  }

  /** Classifies a record read from the table, remembering it when it is COMPLETED. */
  private observe(record: IdempotencyRecord | undefined, fingerprint: string, nowMs: number): Verdict {
    const verdict = classify(record, fingerprint, nowMs);
    if (record !== undefined && this.cache !== undefined) {
      const response =
        verdict.kind === 'completed' ? verdict.response : verdict.kind === 'fingerprint-mismatch' ? verdict.original : undefined;
      if (response !== undefined && record.expiresAt !== undefined)
        this.cache.remember(record.pk, { fingerprint: record.fingerprint, response, expiresAt: record.expiresAt });
    }
    return verdict;
  }

  private async waitForOutcome(pk: string, fingerprint: string, verdict: Verdict): Promise<Verdict> {
    const { wait } = this.options;
    if (wait === undefined || verdict.kind !== 'in-progress') return verdict;
    const interval = wait.pollIntervalMs ?? 100;
    const deadline = this.now() + wait.timeoutMs;
    let current: Verdict = verdict;
    while (current.kind === 'in-progress' && this.now() + interval <= deadline) {
      await sleep(interval);
      current = this.observe(await this.store.read(pk), fingerprint, this.now());
    }
    return current;
  }
}
