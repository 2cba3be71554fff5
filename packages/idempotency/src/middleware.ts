import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { IdempotencyEngine, type IdempotencyEngineOptions, type IdempotencyObserver, isFinal } from './engine.js';
import { fingerprintInput, headerValues, type IdempotentEvent, methodOf } from './event-shape.js';
import { requestFingerprint } from './fingerprint.js';
import type { HttpResponse } from './http-response.js';
import { type IdempotencyKey, parseIdempotencyKeyHeader } from './key-header.js';
import type { Claim } from './store.js';

/** What the handler can read about the key it runs under (absent when the request had none). */
export interface ActiveIdempotency {
  readonly key: IdempotencyKey;
  readonly scope: string | undefined;
  readonly fingerprint: string;
}

export interface IdempotencyContext extends Context {
  idempotency?: ActiveIdempotency;
}

/** The engine a middleware uses: one several handlers share (one completed-record cache per container), or its options. */
export type EngineSource = { readonly engine: IdempotencyEngine } | (IdempotencyEngineOptions & { readonly engine?: undefined });

export type IdempotencyOptions<TEvent extends IdempotentEvent = IdempotentEvent, TContext extends Context = Context> = EngineSource &
  MiddlewareOptions<TEvent, TContext>;

export interface MiddlewareOptions<TEvent extends IdempotentEvent, TContext extends Context> {
  /** Reject requests without the header (400). Otherwise a request without a key runs as usual. */
  readonly required?: boolean;
  readonly headerName?: string;
  /** Partitions the key space, e.g. by tenant, so two tenants' identical keys never meet. */
  readonly scope?: (event: TEvent, context: TContext) => string | undefined;
  /** Methods the header is honoured on; others (GET) ignore it. */
  readonly methods?: readonly string[];
  /**
   * For a request whose handler reaches a system outside (a card processor): what finishes it
   * without the client, kept by the claim as a recovery point (see engine.ts).
   */
  readonly recovery?: (event: TEvent, context: TContext, key: IdempotencyKey) => Readonly<Record<string, unknown>>;
  /** Called once a request's key is read: what is told the request's outcomes (to count them, say), if anything. */
  readonly observer?: (event: TEvent, context: TContext, key: IdempotencyKey) => IdempotencyObserver | undefined;
  /**
   * The answer a thrown error stands for, if any: one below 500 is the request's final outcome,
   * stored and replayed like a returned one (a 404 is a 404 however it was produced). Anything
   * else thrown, or an error this does not recognise, releases the key, and the error goes on to
   * the next error handler. `instance` is the Lambda request id.
   */
  readonly thrownOutcome?: (error: unknown, instance: string | undefined) => HttpResponse | undefined;
}

/**
 * Idempotency keys as Middy middleware: the engine (engine.ts) claims the key before the
 * handler and finishes the claim with the handler's outcome after it, returned or thrown.
 * This adapter only reads the request from the event and hands the engine's answers to Middy.
 */
export const idempotency = <TEvent extends IdempotentEvent = IdempotentEvent, TContext extends Context = Context>(
  options: IdempotencyOptions<TEvent, TContext>,
): MiddlewareObj<TEvent, HttpResponse, Error, TContext & IdempotencyContext> => {
  const engine = options.engine ?? new IdempotencyEngine(options);
  const headerName = options.headerName ?? 'Idempotency-Key';
  const methods = new Set((options.methods ?? ['POST', 'PATCH']).map((method) => method.toUpperCase()));
  // Claims are tracked per invocation: only a request that claimed a key may finish it.
  const held = new WeakMap<object, Claim>();

  return {
    before: async (request) => {
      const { event, context } = request;
      if (!methods.has(methodOf(event))) return undefined;
      const header = parseIdempotencyKeyHeader(headerValues(event, headerName));
      if (header.kind === 'absent')
        return options.required === true ? engine.answerProblem({ kind: 'key-missing', header: headerName }) : undefined;
      if (header.kind === 'invalid') return engine.answerProblem({ kind: 'key-invalid', header: headerName, reason: header.reason });

      const scope = options.scope?.(event, context);
      const fingerprint = requestFingerprint(fingerprintInput(event));
      // Without a Lambda context the engine's cap, the function timeout, sizes the lease.
      const remainingMs =
        typeof context.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : Number.POSITIVE_INFINITY;
      const recovery = options.recovery?.(event, context, header.key);
      const observe = options.observer?.(event, context, header.key);
      const acquired = await engine.acquire({
        scope,
        key: header.key,
        fingerprint,
        remainingMs,
        ...(recovery === undefined ? {} : { recovery: { request: recovery } }),
        ...(observe === undefined ? {} : { observe }),
      });
      if (acquired.kind !== 'claimed') return engine.answerFor(acquired);
      held.set(request, acquired.claim);
      context.idempotency = { key: header.key, scope, fingerprint };
      return undefined;
    },

    after: async (request) => {
      if (request.response === null) return;
      const claim = held.get(request);
      held.delete(request);
      request.response = await engine.finish(claim, request.response);
    },

    onError: async (request) => {
      const claim = held.get(request);
      if (claim === undefined) return;
      held.delete(request);
      const outcome = options.thrownOutcome?.(request.error, request.context.awsRequestId);
      if (outcome === undefined || !isFinal(outcome)) {
        await engine.abandon(claim);
        return;
      }
      request.response = await engine.finish(claim, outcome);
    },
  };
};
