import { parseArgs } from 'node:util';
import { defaultLeaseMarginMs } from '@retrysafe/idempotency';
import type { BucketPolicy } from '../lambdas/rate-limit/gcra.js';
import { processorSettleMs } from '../lambdas/shared/idempotency-engine.js';
import type { AccountId } from '../lambdas/shared/ids.js';
import { functions } from '../lambdas/topology.js';
import { defaultMix, type ScenarioMix } from './scenario.js';

/**
 * The completer's cadence in a stack this command starts: every couple of seconds rather than a
 * minute, so the wait after the load measures the completer's work, not its schedule.
 */
export const startLocalRecoveryIntervalSeconds = 2;

/** Long enough for a 10,000-request burst on the local stack, and for a few runs of a deployed completer. */
export const defaultRecoveryTimeoutSeconds = 600;

export const usage = `Usage: npm run loadtest -- [options]

Where to send the load (default: the running local stack, npm start, on PORT / PROCESSOR_PORT /
DYNAMODB_PORT or 3000 / 4010 / 8000):
  --start-local                 start a local stack in this process on free ports, run against it and stop
                                it afterwards: one command for everything; its completer runs every
                                ${startLocalRecoveryIntervalSeconds} s unless RECOVERY_INTERVAL_SECONDS says otherwise
  --in-memory                   with --start-local: keep DynamoDB Local in memory; without it the data goes
                                to DATA_DIR (default .data) as with npm start, so npm start can show it later
  --base-url <url>              another API, e.g. a deployed stage (the ApiUrl output); then also:
  --processor-url <url>         the sandbox processor (ProcessorUrl output), for the exactly-once audit
  --processor-auth iam|none     iam: SigV4-sign processor reads (the deployed function URL); default none
  --ledger-table <name>         the ledger table (LedgerTableName output), for the ledger audit
  --events-table <name>         the outbox table (EventsTableName output), for the events audit
  --idempotency-table <name>    the idempotency table (IdempotencyTableName output): after the load, the run
                                waits until the deployed completer (every RECOVERY_INTERVAL_SECONDS, 60 by
                                default) has resolved the tenant's recovery points it finds there
  --region <region>             AWS region for DynamoDB and SigV4 (default: AWS_REGION); credentials come
                                from the default provider chain
  --dynamodb-endpoint <url>     a DynamoDB endpoint other than AWS's

The tenant (default: a fresh one per run, so the audits are exact):
  --api-keys-table <name>       remote only: where to create the fresh tenant's API key (ApiKeysTableName)
  --rate-limits-table <name>    remote only: where to raise its rate limit (RateLimitsTableName)
  --rate-limit <per minute>     give the fresh tenant this real limit instead of one far above the load,
                                so 429s are measured too
  --rate-limit-burst <n>        its bucket size (default: the per-minute figure, as the API's default policy)
  --api-key <key> --account <acct_id>
                                use an existing tenant instead; it must be idle during the run, and only
                                its charges created from the run's start on are audited

The load:
  --requests <n>                charge requests in all, retries included (default 10000)
  --concurrency <n>             requests kept in flight (default 200)
  --retry-share <0..1>          share of requests that retry a key with its original body (default ${defaultMix.retryShare})
  --mismatch-share <0..1>       share of requests that reuse an answered key with a changed body (default ${defaultMix.mismatchShare})
  --decline-share <0..1>        share of new keys charged with tok_chargeDeclined (default ${defaultMix.declineShare})
  --fault-share <0..1>          share of new keys charged with tok_processor_error, an injected 503 (default ${defaultMix.faultShare})
  --processor-timeout-share <0..1>
                                share of new keys charged with tok_timeout_after_charge: charged, answered
                                503 after PROCESSOR_TIMEOUT_MS, collected by the retry or the completer (default ${defaultMix.processorTimeoutShare})
  --never-retry-share <0..1>    share of new keys whose client never retries: it sends its request once and,
                                whatever the answer (503, 5xx, reset, timeout), never comes back; only the
                                completer can finish what it left (default ${defaultMix.neverRetryShare})
  --never-retry-copies <n>      copies of its request such a client sends at once (default ${defaultMix.neverRetryCopies}; the issue's
                                measurement: 4)
  --client-timeout-ms <ms>      how soon a lost-response retry abandons its first request (default 5)
  --retry-after-cap-ms <ms>     the longest a Retry-After may delay a follow-up (default 2000)
  --request-timeout-ms <ms>     transport timeout of every other request (default 30000)
  --recovery-timeout-s <s>      the longest the run waits after the load for the completer to resolve the
                                tenant's recovery points (default ${defaultRecoveryTimeoutSeconds}); a request's point becomes due
                                its lease (${functions.charges.timeoutSeconds} s + ${defaultLeaseMarginMs / 1000} s) and the processor's settle window (${processorSettleMs / 1000} s) after its claim
  --seed <n>                    the plan's random seed (default: random; printed)
  --out-dir <dir>               where loadtest.json and loadtest-latency.svg go (default: the repository's bench/results)

Exit status: 0 when every audit passed, 1 when one failed, 2 for bad options or an unreachable target.`;

export class UsageError extends Error {
  override name = 'UsageError';
}

export type TargetOptions =
  | { readonly kind: 'start-local'; readonly inMemory: boolean }
  | { readonly kind: 'local-stack' }
  | {
      readonly kind: 'remote';
      readonly baseUrl: string;
      readonly processorUrl: string;
      readonly processorAuth: 'iam' | 'none';
      readonly ledgerTable: string;
      readonly eventsTable: string;
      readonly idempotencyTable: string;
      readonly region: string | undefined;
      readonly dynamodbEndpoint: string | undefined;
      readonly apiKeysTable: string | undefined;
      readonly rateLimitsTable: string | undefined;
    };

export interface LoadTestOptions {
  readonly target: TargetOptions;
  readonly existingTenant: { readonly apiKey: string; readonly account: AccountId } | undefined;
  /** A real limit for the fresh tenant; undefined lifts it far above the load. */
  readonly rateLimit: BucketPolicy | undefined;
  readonly requests: number;
  readonly concurrency: number;
  readonly mix: ScenarioMix;
  readonly clientTimeoutMs: number;
  readonly retryAfterCapMs: number;
  readonly requestTimeoutMs: number;
  /** The longest wait after the load for the completer. */
  readonly recoveryTimeoutMs: number;
  readonly seed: number | undefined;
  /** Relative to the working directory; undefined: bench/results of the repository. */
  readonly outDir: string | undefined;
}

const integer = (raw: string | undefined, flag: string, fallback: number, min: number): number => {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) throw new UsageError(`${flag} must be a whole number of at least ${min}, got "${raw}"`);
  return value;
};

const fraction = (raw: string | undefined, flag: string, fallback: number): number => {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1)
    throw new UsageError(`${flag} must be a number from 0 to 1, got "${raw}"`);
  return value;
};

const url = (raw: string, flag: string): string => {
  if (!URL.canParse(raw) || !/^https?:$/.test(new URL(raw).protocol)) throw new UsageError(`${flag} must be an http(s) URL, got "${raw}"`);
  return raw;
};

/** Parses and checks the flags; `help` is reported separately so it can print the usage. */
export const parseOptions = (
  argv: readonly string[],
): { readonly help: true } | { readonly help: false; readonly options: LoadTestOptions } => {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        'start-local': { type: 'boolean' },
        'in-memory': { type: 'boolean' },
        'base-url': { type: 'string' },
        'processor-url': { type: 'string' },
        'processor-auth': { type: 'string' },
        'ledger-table': { type: 'string' },
        'events-table': { type: 'string' },
        'idempotency-table': { type: 'string' },
        region: { type: 'string' },
        'dynamodb-endpoint': { type: 'string' },
        'api-keys-table': { type: 'string' },
        'rate-limits-table': { type: 'string' },
        'rate-limit': { type: 'string' },
        'rate-limit-burst': { type: 'string' },
        'api-key': { type: 'string' },
        account: { type: 'string' },
        requests: { type: 'string' },
        concurrency: { type: 'string' },
        'retry-share': { type: 'string' },
        'mismatch-share': { type: 'string' },
        'decline-share': { type: 'string' },
        'fault-share': { type: 'string' },
        'processor-timeout-share': { type: 'string' },
        'never-retry-share': { type: 'string' },
        'never-retry-copies': { type: 'string' },
        'client-timeout-ms': { type: 'string' },
        'retry-after-cap-ms': { type: 'string' },
        'request-timeout-ms': { type: 'string' },
        'recovery-timeout-s': { type: 'string' },
        seed: { type: 'string' },
        'out-dir': { type: 'string' },
      },
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help === true) return { help: true };

  const remoteOnly = (
    [
      'processor-url',
      'processor-auth',
      'ledger-table',
      'events-table',
      'idempotency-table',
      'region',
      'dynamodb-endpoint',
      'api-keys-table',
      'rate-limits-table',
    ] as const
  ).filter((flag) => values[flag] !== undefined);
  let target: TargetOptions;
  if (values['base-url'] === undefined) {
    if (remoteOnly.length > 0) throw new UsageError(`--${remoteOnly.join(', --')} only apply with --base-url`);
    if (values['in-memory'] === true && values['start-local'] !== true) throw new UsageError('--in-memory goes with --start-local');
    target = values['start-local'] === true ? { kind: 'start-local', inMemory: values['in-memory'] === true } : { kind: 'local-stack' };
  } else {
    if (values['start-local'] === true || values['in-memory'] === true)
      throw new UsageError('--start-local starts its own stack: leave out --base-url');
    const processorUrl = values['processor-url'];
    const ledgerTable = values['ledger-table'];
    const eventsTable = values['events-table'];
    const idempotencyTable = values['idempotency-table'];
    if (processorUrl === undefined || ledgerTable === undefined || eventsTable === undefined || idempotencyTable === undefined) {
      throw new UsageError(
        'With --base-url the audits also need --processor-url (ProcessorUrl output), --ledger-table (LedgerTableName), ' +
          '--events-table (EventsTableName) and --idempotency-table (IdempotencyTableName)',
      );
    }
    const processorAuth = values['processor-auth'] ?? 'none';
    if (processorAuth !== 'iam' && processorAuth !== 'none')
      throw new UsageError(`--processor-auth must be iam or none, got "${processorAuth}"`);
    target = {
      kind: 'remote',
      baseUrl: url(values['base-url'], '--base-url'),
      processorUrl: url(processorUrl, '--processor-url'),
      processorAuth,
      ledgerTable,
      eventsTable,
      idempotencyTable,
      region: values.region,
      dynamodbEndpoint: values['dynamodb-endpoint'] === undefined ? undefined : url(values['dynamodb-endpoint'], '--dynamodb-endpoint'),
      apiKeysTable: values['api-keys-table'],
      rateLimitsTable: values['rate-limits-table'],
    };
  }

  const apiKey = values['api-key'];
  const account = values.account;
  if ((apiKey === undefined) !== (account === undefined))
    throw new UsageError('--api-key and --account go together: the audits need the account the key belongs to');
  if (account !== undefined && !/^acct_[A-Za-z0-9_]{1,64}$/.test(account))
    throw new UsageError(`--account must look like acct_<letters, digits or _>, got "${account}"`);
  const existingTenant = apiKey === undefined || account === undefined ? undefined : { apiKey, account: account as AccountId };
  if (existingTenant !== undefined && values['rate-limit'] !== undefined)
    throw new UsageError('--rate-limit applies to the fresh tenant; an existing tenant keeps its own limit');
  if (values['rate-limit'] === undefined && values['rate-limit-burst'] !== undefined)
    throw new UsageError('--rate-limit-burst goes with --rate-limit');
  const ratePerMinute = values['rate-limit'] === undefined ? undefined : integer(values['rate-limit'], '--rate-limit', 0, 1);
  if (
    target.kind === 'remote' &&
    existingTenant === undefined &&
    (target.apiKeysTable === undefined || target.rateLimitsTable === undefined)
  ) {
    throw new UsageError(
      'Against --base-url, give --api-key and --account, or --api-keys-table and --rate-limits-table to create a fresh tenant',
    );
  }

  const mix: ScenarioMix = {
    retryShare: fraction(values['retry-share'], '--retry-share', defaultMix.retryShare),
    mismatchShare: fraction(values['mismatch-share'], '--mismatch-share', defaultMix.mismatchShare),
    declineShare: fraction(values['decline-share'], '--decline-share', defaultMix.declineShare),
    faultShare: fraction(values['fault-share'], '--fault-share', defaultMix.faultShare),
    processorTimeoutShare: fraction(values['processor-timeout-share'], '--processor-timeout-share', defaultMix.processorTimeoutShare),
    neverRetryShare: fraction(values['never-retry-share'], '--never-retry-share', defaultMix.neverRetryShare),
    neverRetryCopies: integer(values['never-retry-copies'], '--never-retry-copies', defaultMix.neverRetryCopies, 1),
  };
  if (values['never-retry-copies'] !== undefined && mix.neverRetryShare === 0)
    throw new UsageError('--never-retry-copies goes with a --never-retry-share above 0');
  if (mix.retryShare + mix.mismatchShare >= 1)
    throw new UsageError('--retry-share plus --mismatch-share must leave room for first requests (sum below 1)');
  if (mix.declineShare + mix.faultShare + mix.processorTimeoutShare > 1)
    throw new UsageError('--decline-share, --fault-share and --processor-timeout-share add up to more than 1');

  return {
    help: false,
    options: {
      target,
      existingTenant,
      rateLimit:
        ratePerMinute === undefined
          ? undefined
          : { ratePerMinute, burst: integer(values['rate-limit-burst'], '--rate-limit-burst', ratePerMinute, 1) },
      requests: integer(values.requests, '--requests', 10_000, 1),
      concurrency: integer(values.concurrency, '--concurrency', 200, 1),
      mix,
      clientTimeoutMs: integer(values['client-timeout-ms'], '--client-timeout-ms', 5, 1),
      retryAfterCapMs: integer(values['retry-after-cap-ms'], '--retry-after-cap-ms', 2_000, 0),
      requestTimeoutMs: integer(values['request-timeout-ms'], '--request-timeout-ms', 30_000, 1),
      recoveryTimeoutMs: integer(values['recovery-timeout-s'], '--recovery-timeout-s', defaultRecoveryTimeoutSeconds, 0) * 1000,
      seed: values.seed === undefined ? undefined : integer(values.seed, '--seed', 0, 0),
      outDir: values['out-dir'],
    },
  };
};
