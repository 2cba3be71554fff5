import { performance } from 'node:perf_hooks';
import { UsageError } from '../cli/flags.js';
import { type CliIo, processIo, reason } from '../cli/io.js';
import { readSetting } from '../lambdas/settings.js';
import { main as reconcileMain } from '../reconcile/main.js';
import { type OpsCommand, parseCommand, usage } from './options.js';
import { redrive } from './redrive.js';
import {
  claimsPastLease,
  deadLetterQueues,
  type Finding,
  lastReconciliation,
  outboxLag,
  rateLimitStore,
  readLastReconciliation,
  recoveryPoints,
  renderStatus,
} from './status.js';
import { openOpsTarget, type OpsTarget } from './target.js';

const localHint = ' Is `npm start` running (with the same DYNAMODB_PORT / SQS_PORT)?';

/**
 * The status: the reconciliation summary and the dead-letter queues are read first, and a
 * failure there means DynamoDB or SQS cannot be reached at all (exit 2); the other checks then
 * run together, each reporting its own failure.
 */
const status = async (target: OpsTarget, stuckAfterMs: number, scanClaims: boolean, io: CliIo): Promise<number> => {
  let preflight: [Finding, Finding];
  const nowMs = io.now();
  try {
    preflight = await Promise.all([
      readLastReconciliation(target).then((summary) => lastReconciliation(summary, nowMs)),
      target.queues().then((queues) => deadLetterQueues(target, queues)),
    ]);
  } catch (error) {
    io.err(`Cannot read ${target.description}: ${reason(error)}.${target.local ? localHint : ''}`);
    return 2;
  }
  const [reconciliation, deadLetters] = preflight;
  const [recovery, claims, outbox, rateLimits] = await Promise.all([
    recoveryPoints(target, nowMs, stuckAfterMs),
    scanClaims ? claimsPastLease(target, nowMs) : undefined,
    outboxLag(target, nowMs),
    rateLimitStore(target, () => performance.now()),
  ]);
  const findings = [recovery, ...(claims === undefined ? [] : [claims]), deadLetters, outbox, reconciliation, rateLimits];
  io.out(renderStatus(`Status of ${target.description} at ${new Date(nowMs).toISOString()}`, findings));
  return findings.some((finding) => finding.attention) ? 1 : 0;
};

const run = async (command: Exclude<OpsCommand, { command: 'help' | 'reconcile' }>, io: CliIo): Promise<number> => {
  const target = openOpsTarget(command.target);
  try {
    if (command.command === 'status')
      return await status(target, command.stuckAfterMs ?? readSetting('RECOVERY_STUCK_AFTER_SECONDS') * 1000, command.scanClaims, io);
    const result = await redrive(target, command.endpoint, io.now);
    (result.code === 0 ? io.out : io.err)(result.text);
    return result.code;
  } finally {
    target.close();
  }
};

/** `npm run ops`: 0 nothing needs a human, 1 something does, 2 bad options or unreachable. */
export const main = async (argv: readonly string[], io: CliIo = processIo): Promise<number> => {
  let command: OpsCommand;
  try {
    command = parseCommand(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`${error.message}\n\n${usage}`);
    return 2;
  }
  switch (command.command) {
    case 'help':
      io.out(usage);
      return 0;
    case 'reconcile':
      return reconcileMain(command.argv, io);
    case 'status':
    case 'redrive':
      return run(command, io);
  }
};
