import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { MiddlewareObj, Request } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { HttpResponse } from '../http/types.js';
import { dynamo } from '../shared/dynamodb.js';
import { intEnv, tableName as tableNameFromEnv } from '../shared/env.js';
import { createLogger } from '../shared/logger.js';
import { takeAtomicCommit, type AtomicCommit } from './atomic-commit.js';
import { requestFingerprint } from './fingerprint.js';
import { parseIdempotencyKeyHeader, type IdempotencyKey } from './key-header.js';
import { keyInUseResponse, keyInvalidResponse, keyMissingResponse, keyReusedResponse, recordTooLargeResponse } from './problems.js';
import { classify, retryAfterSeconds, type IdempotencyRecord, type Verdict } from './state-machine.js';
import { IdempotencyStore, type Claim, type CommitResult } from './store.js';
import { encodeResponse, replayResponse, ResponseTooLargeError, selectStoredHeaders } from './stored-response.js';

/** The parts of an API Gateway (REST or HTTP API) event the middleware reads. */
export interface IdempotentEvent {
  httpMethod?: string;
  resource?: string;
  routeKey?: string;
  path?: string;
  rawPath?: string;
  requestContext?: { http?: { method?: string } } | object;
  pathParameters?: Record<string, string | undefined> | null;
  headers?: Record<string, string | undefined> | null;
  multiValueHeaders?: Record<string, string[] | undefined> | null;
  body?: unknown;
  /** Set by body parsers that replace `body` (Retrysafe's jsonBody, Middy's JSON parser). */
  rawBody?: unknown;
  isBase64Encoded?: boolean;
}

/** What the handler can read about the key it runs under (absent when the request had none). */
export interface ActiveIdempotency {
  readonly key: IdempotencyKey;
  readonly scope: string | undefined;
  readonly fingerprint: string;
}

export interface IdempotencyContext extends Context {
  idempotency?: ActiveIdempotency;
}

export interface IdempotencyOptions<TEvent extends IdempotentEvent = IdempotentEvent, TContext extends Context = Context> {
  /** Table name, or a function read per request; defaults to the TABLE_IDEMPOTENCY variable. */
  readonly tableName?: string | (() => string);
  /** Reject requests without the header (400). Otherwise a request without a key runs as usual. */
  readonly required?: boolean;
  /** How long a key is remembered; defaults to IDEMPOTENCY_TTL_SECONDS or 86400 (24 hours). */
  readonly ttlSeconds?: number;
  readonly headerName?: string;
  /** Partitions the key space, e.g. by tenant, so two tenants' identical keys never meet. */
  readonly scope?: (event: TEvent, context: TContext) => string | undefined;
  /** Methods the header is honoured on; others (GET) ignore it. */
  readonly methods?: readonly string[];
  /** Wait for an in-flight first request to finish and answer with its result instead of 409. */
  readonly wait?: { readonly timeoutMs: number; readonly pollIntervalMs?: number };
  /** Response headers stored and replayed alongside status and body. */
  readonly storedHeaders?: readonly string[];
  /** Added to the invocation's remaining time to size the lease, covering clock skew. */
  readonly leaseMarginMs?: number;
  /** The function timeout: no lease is ever longer. */
  readonly functionTimeoutMs?: number;
  readonly client?: DynamoDBDocumentClient;
  readonly now?: () => number;
}

export const defaultStoredHeaders = ['Content-Type', 'Content-Language', 'Location', 'Link'] as const;

const logger = createLogger('idempotency');

const headerValues = (event: IdempotentEvent, name: string): string[] => {
  const wanted = name.toLowerCase();
  for (const [key, values] of Object.entries(event.multiValueHeaders ?? {})) {
    if (key.toLowerCase() === wanted && values !== undefined && values.length > 0) return values;
  }
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return [value];
  }
  return [];
};

const methodOf = (event: IdempotentEvent): string =>
  (event.httpMethod ?? (event.requestContext as { http?: { method?: string } } | undefined)?.http?.method ?? '').toUpperCase();

const routeOf = (event: IdempotentEvent): string => event.resource ?? event.routeKey ?? event.path ?? event.rawPath ?? '';

const rawBodyOf = (event: IdempotentEvent): unknown => {
  const body = 'rawBody' in event ? event.rawBody : event.body;
  return typeof body === 'string' && event.isBase64Encoded === true ? Buffer.from(body, 'base64').toString('utf8') : body;
};

/** Scope and key in one partition key; the scope is URI-encoded so a '#' in a key cannot forge one. */
const recordKey = (scope: string | undefined, key: IdempotencyKey): string => `${encodeURIComponent(scope ?? '')}#${key}`;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Idempotency keys as Middy middleware: claim the key with one conditional write before the
 * handler, store the handler's final outcome after it (atomically with its business writes),
 * release the claim when the handler fails so a retry re-executes. States and conditions live
 * in state-machine.ts, DynamoDB requests in store.ts; this file only orders them.
 */
export const idempotency = <TEvent extends IdempotentEvent = IdempotentEvent, TContext extends Context = Context>(
  options: IdempotencyOptions<TEvent, TContext> = {},
): MiddlewareObj<TEvent, HttpResponse, Error, TContext & IdempotencyContext> => {
  const headerName = options.headerName ?? 'Idempotency-Key';
  const methods = new Set((options.methods ?? ['POST', 'PATCH']).map((method) => method.toUpperCase()));
  const storedHeaders = options.storedHeaders ?? defaultStoredHeaders;
  const now = options.now ?? Date.now;
  const leaseMarginMs = options.leaseMarginMs ?? 2_000;
  const functionTimeoutMs = options.functionTimeoutMs ?? 900_000;
  const configuredTable = options.tableName;
  const table =
    typeof configuredTable === 'function'
      ? configuredTable
      : configuredTable === undefined
        ? () => tableNameFromEnv('idempotency')
        : () => configuredTable;
  let store: IdempotencyStore | undefined;
  const getStore = () => (store ??= new IdempotencyStore(options.client ?? dynamo(), table));
  // Claims are tracked per invocation: only a request that claimed a key may complete or release it.
  const held = new WeakMap<object, Claim>();

  const leaseUntil = (context: Context, nowMs: number): number => {
    const remaining = typeof context.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : functionTimeoutMs;
    return nowMs + Math.min(remaining + leaseMarginMs, functionTimeoutMs);
  };

  /** The answer for a request that found its key taken, or undefined when the key is free again. */
  const answerFor = (verdict: Verdict): HttpResponse | undefined => {
    switch (verdict.kind) {
      case 'absent':
      case 'lease-expired':
        return undefined;
      case 'fingerprint-mismatch':
        return keyReusedResponse();
      case 'completed':
        return replayResponse(verdict.response);
      case 'in-progress':
        return keyInUseResponse(retryAfterSeconds(verdict));
    }
  };

  const waitForOutcome = async (pk: string, fingerprint: string, verdict: Verdict): Promise<Verdict> => {
    if (options.wait === undefined || verdict.kind !== 'in-progress') return verdict;
    const interval = options.wait.pollIntervalMs ?? 100;
    const deadline = now() + options.wait.timeoutMs;
    let current: Verdict = verdict;
    while (current.kind === 'in-progress' && now() + interval <= deadline) {
      await sleep(interval);
      current = classify(await getStore().read(pk), fingerprint, now());
    }
    return current;
  };

  /** Claims the key, or answers from the record that holds it; at most a few rounds, never a loop. */
  const acquire = async (pk: string, fingerprint: string, context: Context): Promise<{ claim: Claim } | { answer: HttpResponse }> => {
    const ttlSeconds = options.ttlSeconds ?? intEnv('IDEMPOTENCY_TTL_SECONDS', 86_400);
    for (let round = 0; round < 3; round++) {
      const nowMs = now();
      const result = await getStore().claim({
        pk,
        fingerprint,
        token: randomUUID(),
        nowMs,
        leaseUntil: leaseUntil(context, nowMs),
        expiresAt: Math.floor(nowMs / 1000) + ttlSeconds,
      });
      if (result.kind === 'claimed') return { claim: result.claim };
      const verdict = await waitForOutcome(pk, fingerprint, classify(result.record, fingerprint, nowMs));
      const answer = answerFor(verdict);
      if (answer !== undefined) return { answer };
    }
    return { answer: keyInUseResponse(1) };
  };

  const answerLostClaim = (record: IdempotencyRecord | undefined, fingerprint: string): HttpResponse =>
    answerFor(classify(record, fingerprint, now())) ?? keyInUseResponse(1);

  const release = async (request: Request, claim: Claim): Promise<void> => {
    held.delete(request);
    try {
      await getStore().release(claim);
    } catch (error) {
      // The lease still bounds how long the key stays blocked.
      logger.warn('Could not release an idempotency claim; it frees itself when the lease expires', { error });
    }
  };

  const finish = async (
    request: Request,
    claim: Claim,
    outcome: CommitResult,
    response: HttpResponse,
    onRejected: AtomicCommit['onRejected'],
  ): Promise<HttpResponse> => {
    switch (outcome.kind) {
      case 'committed':
        held.delete(request);
        return response;
      case 'claim-lost':
        held.delete(request);
        logger.warn('Idempotency claim lost before completion: a retry took the key over after this lease expired', { pk: claim.pk });
        return answerLostClaim(outcome.record, claim.fingerprint);
      case 'write-rejected': {
        if (onRejected === undefined)
          throw new Error(`Business write ${outcome.index} was rejected at commit and the handler gave no alternative response`);
        const alternative = onRejected(outcome);
        if (alternative.statusCode >= 500) {
          await release(request, claim);
          return alternative;
        }
        return finish(request, claim, await getStore().complete(claim, encode(alternative), now()), alternative, undefined);
      }
    }
  };

  const encode = (response: HttpResponse) =>
    encodeResponse({
      statusCode: response.statusCode,
      headers: selectStoredHeaders(response.headers, storedHeaders),
      body: response.body,
      ...(response.isBase64Encoded === true ? { isBase64Encoded: true } : {}),
    });

  return {
    before: async (request) => {
      const { event, context } = request;
      const method = methodOf(event);
      if (!methods.has(method)) return undefined;
      const header = parseIdempotencyKeyHeader(headerValues(event, headerName));
      if (header.kind === 'absent') {
        if (options.required === true) return keyMissingResponse(headerName);
        return undefined;
      }
      if (header.kind === 'invalid') return keyInvalidResponse(headerName, header.reason);

      const scope = options.scope?.(event, context);
      const fingerprint = requestFingerprint({
        method,
        route: routeOf(event),
        pathParameters: event.pathParameters,
        body: rawBodyOf(event),
      });
      const pk = recordKey(scope, header.key);
      const acquired = await acquire(pk, fingerprint, context);
      if ('answer' in acquired) return acquired.answer;
      held.set(request, acquired.claim);
      context.idempotency = { key: header.key, scope, fingerprint };
      return undefined;
    },

    after: async (request) => {
      if (request.response === null) return;
      const { response, commit } = takeAtomicCommit(request.response);
      const claim = held.get(request);
      if (claim === undefined) {
        request.response = response;
        if (commit === undefined) return;
        const outcome = await getStore().commit(undefined, commit.writes, undefined, now());
        if (outcome.kind === 'write-rejected') {
          if (commit.onRejected === undefined) throw new Error(`Business write ${outcome.index} was rejected at commit`);
          request.response = commit.onRejected(outcome);
        }
        return;
      }
      if (response.statusCode >= 500) {
        // Not a final outcome: the retry must be able to run the handler again, and nothing commits.
        await release(request, claim);
        request.response = response;
        return;
      }
      let encoded;
      try {
        encoded = encode(response);
      } catch (error) {
        if (!(error instanceof ResponseTooLargeError)) throw error;
        await release(request, claim);
        request.response = recordTooLargeResponse(error.message);
        return;
      }
      const outcome =
        commit === undefined
          ? await getStore().complete(claim, encoded, now())
          : await getStore().commit(claim, commit.writes, encoded, now());
      request.response = await finish(request, claim, outcome, response, commit?.onRejected);
    },

    onError: async (request) => {
      const claim = held.get(request);
      if (claim !== undefined) await release(request, claim);
    },
  };
};
