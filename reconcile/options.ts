import { reconcilerTables, type ReconcilerTable } from '../lambdas/reconciliation/reconciler-deps.js';
import { readSetting } from '../lambdas/settings.js';
import { parseFlags, tableFlag, tableFlagUsage, tablesFromFlags, UsageError, urlFlag, wholeNumberFlag } from '../cli/flags.js';

const defaultTimeLimitSeconds = 600;

export const usage = `Usage: npm run reconcile -- [options]

Matches every settled charge and refund at the sandbox processor with Retrysafe's records, from
the watermarks of the previous run, records what Retrysafe lost and reports what disagrees.

Where (default: the running local stack, npm start, on PROCESSOR_PORT / DYNAMODB_PORT or 4010 /
8000, its tables named retrysafe-<table>):
  --processor-url <url>         a deployed processor (the ProcessorUrl output); then also every table below
  --processor-auth iam|none     iam: SigV4-sign processor calls (the deployed function URL); default none
  --region <region>             AWS region for DynamoDB and SigV4 (default: AWS_REGION); credentials come
                                from the default provider chain
  --dynamodb-endpoint <url>     a DynamoDB endpoint other than AWS's
${tableFlagUsage(reconcilerTables)}

The run:
  --since <time>                walk from this instant (epoch milliseconds or ISO 8601) instead of the
                                watermarks, and leave them where they are: an audit of a past stretch
  --stuck-after-seconds <n>     report recovery points unresolved for this long (default
                                RECOVERY_STUCK_AFTER_SECONDS, ${readSetting('RECOVERY_STUCK_AFTER_SECONDS', {})})
  --time-limit-seconds <n>      stop taking on objects after this long; the next run goes on (default ${defaultTimeLimitSeconds})

Exit status: 0 when everything matched or was recovered (objects the completer still holds are
pending, not failures), 1 when something is mismatched, unknown, stuck or could not be judged,
2 for bad options or an unreachable processor or DynamoDB.`;

export type ReconcileTargetOptions =
  | { readonly kind: 'local-stack' }
  | {
      readonly kind: 'remote';
      readonly processorUrl: string;
      readonly processorAuth: 'iam' | 'none';
      /** --region, or AWS_REGION. */
      readonly region: string | undefined;
      readonly dynamodbEndpoint: string | undefined;
      readonly tables: Readonly<Record<ReconcilerTable, string>>;
    };

export interface ReconcileCliOptions {
  readonly target: ReconcileTargetOptions;
  readonly since: number | undefined;
  readonly stuckAfterMs: number | undefined;
  readonly timeLimitMs: number;
}

const instant = (raw: string | undefined): number | undefined => {
  if (raw === undefined) return undefined;
  const epochMs = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isSafeInteger(epochMs) || epochMs < 0)
    throw new UsageError(`--since must be epoch milliseconds or an ISO 8601 date-time such as 2026-12-01T00:00:00Z, got "${raw}"`);
  return epochMs;
};

/** Parses and checks the flags; `help` is reported separately so it can print the usage. */
export const parseOptions = (
  argv: readonly string[],
): { readonly help: true } | { readonly help: false; readonly options: ReconcileCliOptions } => {
  const { text, has } = parseFlags(argv, {
    help: { type: 'boolean', short: 'h' },
    'processor-url': { type: 'string' },
    'processor-auth': { type: 'string' },
    region: { type: 'string' },
    'dynamodb-endpoint': { type: 'string' },
    ...Object.fromEntries(reconcilerTables.map((table) => [tableFlag(table), { type: 'string' as const }])),
    since: { type: 'string' },
    'stuck-after-seconds': { type: 'string' },
    'time-limit-seconds': { type: 'string' },
  });
  if (has('help')) return { help: true };

  const remoteFlags = ['processor-auth', 'region', 'dynamodb-endpoint', ...reconcilerTables.map(tableFlag)].filter(
    (flag) => text(flag) !== undefined,
  );
  const processorUrl = text('processor-url');
  let target: ReconcileTargetOptions;
  if (processorUrl === undefined) {
    if (remoteFlags.length > 0) throw new UsageError(`--${remoteFlags.join(', --')} only apply with --processor-url`);
    target = { kind: 'local-stack' };
  } else {
    const tables = tablesFromFlags(reconcilerTables, text, 'With --processor-url');
    const processorAuth = text('processor-auth') ?? 'none';
    if (processorAuth !== 'iam' && processorAuth !== 'none')
      throw new UsageError(`--processor-auth must be iam or none, got "${processorAuth}"`);
    const region = text('region') ?? process.env.AWS_REGION;
    if (processorAuth === 'iam' && region === undefined) throw new UsageError('--processor-auth iam needs --region or AWS_REGION');
    const endpoint = text('dynamodb-endpoint');
    target = {
      kind: 'remote',
      processorUrl: urlFlag(processorUrl, 'processor-url'),
      processorAuth,
      region,
      dynamodbEndpoint: endpoint === undefined ? undefined : urlFlag(endpoint, 'dynamodb-endpoint'),
      tables,
    };
  }
  const stuckAfterSeconds = wholeNumberFlag(text('stuck-after-seconds'), 'stuck-after-seconds', 1);
  return {
    help: false,
    options: {
      target,
      since: instant(text('since')),
      stuckAfterMs: stuckAfterSeconds === undefined ? undefined : stuckAfterSeconds * 1000,
      timeLimitMs: (wholeNumberFlag(text('time-limit-seconds'), 'time-limit-seconds', 1) ?? defaultTimeLimitSeconds) * 1000,
    },
  };
};
