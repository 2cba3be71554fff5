import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { defaultStoredHeaders, IdempotencyEngine } from '@retrysafe/idempotency';
import { shouldRetryHeader } from '../http/problem-types.js';
import { keyOwnershipFromEnvironment } from '../regions/key-owners.js';
import { readSetting } from '../settings.js';
import { type FunctionName, functions, tables } from '../topology.js';
import { retrysafeEngineDefaults } from './engine-defaults.js';
import { tableName } from './env.js';

/**
 * The headers a replay repeats: the engine's defaults, and the server's word on retrying, which a
 * stored problem (a decline, a refusal) carries like its first answer did.
 */
export const retrysafeStoredHeaders: readonly string[] = [...defaultStoredHeaders, shouldRetryHeader];

/** Completed keys a container replays from memory: a few hundred KB for Retrysafe's small answers. */
export const completedKeysCached = 1_000;

/**
 * How long a recovery point rests after its executor stopped before the completer asks the
 * processor what became of it: the processor's own function cannot run longer, so by then a
 * request a dead executor sent has been answered or dropped, and the processor's answer to the
 * look-up is final.
 */
export const processorSettleMs = functions.processor.timeoutSeconds * 1000;

/**
 * Retrysafe's idempotency engine in one function: records in the idempotency table, recovery
 * points in its sparse index, leases no longer than the function lives. `now` is the clock
 * leases and expiries are measured by; tests move it. `client` replaces the process's DynamoDB
 * client, e.g. for a test that counts what is written; `tableName` the table the environment
 * names, e.g. for `npm run reconcile` against a deployed stack.
 */
export const idempotencyEngineFor = (
  fn: FunctionName,
  options: { readonly now?: () => number; readonly client?: DynamoDBDocumentClient; readonly tableName?: string } = {},
): IdempotencyEngine => {
  const ownership = keyOwnershipFromEnvironment();
  return new IdempotencyEngine({
    ...retrysafeEngineDefaults(options.client),
    tableName: options.tableName ?? (() => tableName('idempotency')),
    ttlSeconds: readSetting('IDEMPOTENCY_TTL_SECONDS'),
    functionTimeoutMs: functions[fn].timeoutSeconds * 1000,
    cacheEntries: completedKeysCached,
    recoveryIndex: tables.idempotency.globalSecondaryIndexes[0].indexName,
    recoveryDelayMs: processorSettleMs,
    storedHeaders: retrysafeStoredHeaders,
    ...(ownership === undefined ? {} : { ownership }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
};
