import { needsAttention, reconcile } from '../lambdas/reconciliation/reconciler.js';
import { reconcilerDeps } from '../lambdas/reconciliation/reconciler-deps.js';
import { readSetting } from '../lambdas/settings.js';
import { UsageError } from '../cli/flags.js';
import { type CliIo, processIo, reason } from '../cli/io.js';
import { parseOptions, usage, type ReconcileCliOptions } from './options.js';
import { renderSummary } from './summary.js';
import { openTarget, type ReconcileTarget } from './target.js';

const localHint = ' Is `npm start` running (with the same PROCESSOR_PORT / DYNAMODB_PORT)?';

/** Refuses to start, with a clear message, when the processor or DynamoDB cannot be reached. */
const unreachable = async (
  target: ReconcileTarget,
  watermarksReadable: () => Promise<unknown>,
  local: boolean,
): Promise<string | undefined> => {
  const hint = local ? localHint : '';
  const listed = await target.processor.listCharges({ limit: 1 });
  if (listed.kind === 'unavailable') return `Cannot list the processor's charges at ${target.processorUrl}: ${listed.detail}.${hint}`;
  try {
    await watermarksReadable();
  } catch (error) {
    return `Cannot read the watermarks in DynamoDB table ${target.tables.reconciliation}: ${reason(error)}.${hint}`;
  }
  return undefined;
};

const run = async (options: ReconcileCliOptions, target: ReconcileTarget, io: CliIo): Promise<number> => {
  const deps = reconcilerDeps({
    client: target.client,
    tables: target.tables,
    processor: target.processor,
    stuckAfterMs: options.stuckAfterMs ?? readSetting('RECOVERY_STUCK_AFTER_SECONDS') * 1000,
    now: io.now,
  });
  const problem = await unreachable(target, () => deps.watermarks.read('charges'), options.target.kind === 'local-stack');
  if (problem !== undefined) {
    io.err(problem);
    return 2;
  }
  const startMs = io.now();
  const report = await reconcile(deps, {
    deadlineMs: startMs + options.timeLimitMs,
    ...(options.since === undefined ? {} : { since: options.since }),
  });
  io.out(renderSummary(report, `Reconciliation of ${target.description} (${target.processorUrl})`, io.now() - startMs));
  return needsAttention(report) ? 1 : 0;
};

/** `npm run reconcile`: the exit status, 0 clean, 1 needs attention, 2 bad options or unreachable. */
export const main = async (argv: readonly string[], io: CliIo = processIo): Promise<number> => {
  let options: ReconcileCliOptions;
  try {
    const parsed = parseOptions(argv);
    if (parsed.help) {
      io.out(usage);
      return 0;
    }
    options = parsed.options;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`${error.message}\n\n${usage}`);
    return 2;
  }
  const target = openTarget(options.target);
  try {
    return await run(options, target, io);
  } finally {
    target.close();
  }
};
