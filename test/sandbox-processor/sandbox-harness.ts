import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { expect } from 'vitest';
import type { HttpResponse } from '../../lambdas/http/types.js';
import type { ProcessorCharge } from '../../lambdas/sandbox-processor/charge.js';
import { createSandboxProcessorHandler, depsFromEnvironment, handler, sandboxEngine } from '../../lambdas/sandbox-processor/handler.js';
import type { ProcessorRefund } from '../../lambdas/sandbox-processor/refund.js';
import type { SandboxDeps } from '../../lambdas/sandbox-processor/sandbox-deps.js';
import { createDocumentClient } from '../../lambdas/shared/dynamodb.js';
import { type ListedPath, listEvent, processorContext } from './processor-events.js';

export type Serve = typeof handler;

export const invoke = (event: Parameters<Serve>[0], serve: Serve = handler): Promise<HttpResponse> => serve(event, processorContext());

export const bodyOf = (response: HttpResponse): Record<string, unknown> => JSON.parse(response.body) as Record<string, unknown>;
export const chargeOf = (response: HttpResponse): ProcessorCharge => JSON.parse(response.body) as ProcessorCharge;
export const refundOf = (response: HttpResponse): ProcessorRefund => JSON.parse(response.body) as ProcessorRefund;

export interface ObjectList<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  next_cursor: string | null;
}

export const listOf = <T = ProcessorCharge>(response: HttpResponse): ObjectList<T> => JSON.parse(response.body) as ObjectList<T>;

/** Every object listed at `path` since `since` and created under `key`, walking all pages. */
export const listedUnderKey = async <T extends { idempotency_key: string }>(key: string, since: number, path: ListedPath): Promise<T[]> => {
  const found: T[] = [];
  let cursor: string | null = null;
  do {
    const response = await invoke(listEvent({ since: String(since), limit: '100', ...(cursor === null ? {} : { cursor }) }, path));
    expect(response.statusCode).toBe(200);
    const page = listOf<T>(response);
    found.push(...page.data.filter((listed) => listed.idempotency_key === key));
    cursor = page.next_cursor;
  } while (cursor !== null);
  return found;
};

export const chargesUnderKey = (key: string, since: number): Promise<ProcessorCharge[]> => listedUnderKey(key, since, '/charges');

/** The charge as the listing shows it now. */
export const currentCharge = async (charge: ProcessorCharge): Promise<ProcessorCharge | undefined> =>
  (await chargesUnderKey(charge.idempotency_key, charge.created)).at(0);

/** A processor whose engine runs `beforeCommit` before every transaction that completes a key with its writes. */
export const withCommitHook = (beforeCommit: () => Promise<void>, deps: Partial<SandboxDeps> = {}): Serve => {
  const client = new DynamoDBClient({});
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'TransactWriteItemsCommand') await beforeCommit();
      return next(args);
    },
    { step: 'initialize' },
  );
  return createSandboxProcessorHandler({ ...depsFromEnvironment(), engine: sandboxEngine(createDocumentClient(client)), ...deps });
};

/**
 * A processor that holds each request at its commit until released: its key stays IN_PROGRESS,
 * the state a lookup must never answer as "absent".
 */
export const heldAtCommit = (deps: Partial<SandboxDeps> = {}) => {
  let reachedCommit!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((resolve) => (reachedCommit = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  const serve = withCommitHook(async () => {
    reachedCommit();
    await released;
  }, deps);
  return { serve, reached, release };
};

/**
 * A processor that holds each slow answer (the tok_timeout_after_* sources) until released, and
 * records how long it was asked to hold: the stored object must be visible, and replayed to a
 * retry, while the first answer is still held.
 */
export const heldSlowAnswer = () => {
  const holds: number[] = [];
  let held!: () => void;
  let release!: () => void;
  const firstIsHeld = new Promise<void>((resolve) => (held = resolve));
  const releaseGate = new Promise<void>((resolve) => (release = resolve));
  const serve = createSandboxProcessorHandler({
    ...depsFromEnvironment(),
    sleep: (ms) => {
      holds.push(ms);
      held();
      return releaseGate;
    },
  });
  return { serve, holds, firstIsHeld, release };
};

/**
 * A processor whose clock runs in a private window decades ahead, one second per object, so a
 * listing from `windowStart` sees only what the test created. Ids are monotonic per process, so
 * once a window has been used every id the process creates sorts inside it: a file's window
 * tests come last, and only one file uses windows in each listing partition (charges:
 * sandbox-service, refunds: sandbox-refunds).
 */
export const privateWindow = () => {
  const windowStart = Date.UTC(2090, 0, 1) + Math.floor(Math.random() * 1e10);
  let clock = windowStart;
  const serve = createSandboxProcessorHandler({
    ...depsFromEnvironment(),
    now: () => (clock += 1000),
    slowResponseMs: 0,
    sleep: () => Promise.resolve(),
  });
  return { windowStart, serve, clock: () => clock };
};
