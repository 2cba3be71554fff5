import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterRecovery, type AfterRecovery } from './after-recovery.js';
import { audit, type AuditResult } from './audit.js';
import { startLoad, type DriverSettings, type LoadRun, type RunningLoad } from './driver.js';
import { latencyReport, type LatencyReport } from './latency.js';
import { awaitRecovery, type RecoveryWaitOptions } from './recovery.js';
import { readBalance, readSnapshot, type AuditSources, type ProcessorAccess, type ServerSnapshot } from './server-state.js';
import type { LoadTenant } from './tenant.js';

export interface LoadTestInput {
  readonly apiUrl: string;
  readonly processor: ProcessorAccess;
  readonly dynamo: DynamoDBDocumentClient;
  readonly ledgerTable: string;
  readonly eventsTable: string;
  readonly tenant: LoadTenant;
  readonly settings: Omit<DriverSettings, 'apiUrl' | 'apiKey'>;
  /** How to wait, after the load, for the completer to resolve the tenant's recovery points. */
  readonly recovery: RecoveryWaitOptions;
  /** Called once the load is running, e.g. to show progress; returns what to call when it ends. */
  readonly watch?: (load: RunningLoad) => () => void;
  /** Runs between the load and the audit's reads, e.g. to lift a rate limit the run measured. */
  readonly beforeAudit?: () => Promise<void>;
}

export interface LoadTestOutcome {
  readonly settings: DriverSettings;
  readonly run: LoadRun;
  readonly snapshot: ServerSnapshot;
  readonly recovery: AfterRecovery;
  readonly audits: readonly AuditResult[];
  readonly latency: LatencyReport;
}

/**
 * The load, the wait for the completer (the clients are gone, so only it can finish what they
 * left), then the audits of what the run left behind: the whole test, without its reporting.
 */
export const runLoadTest = async (input: LoadTestInput): Promise<LoadTestOutcome> => {
  const { tenant } = input;
  const sources: AuditSources = {
    apiUrl: input.apiUrl,
    apiKey: tenant.apiKey,
    account: tenant.account,
    processor: input.processor,
    dynamo: input.dynamo,
    ledgerTable: input.ledgerTable,
    eventsTable: input.eventsTable,
  };
  const balanceBefore = await readBalance(sources);
  const settings: DriverSettings = { ...input.settings, apiUrl: input.apiUrl, apiKey: tenant.apiKey };
  const load = startLoad(settings);
  const stopWatching = input.watch?.(load);
  let run: LoadRun;
  try {
    run = await load.finished;
  } finally {
    stopWatching?.();
  }
  const wait = await awaitRecovery(input.recovery);
  await input.beforeAudit?.();
  const snapshot = await readSnapshot(run, sources, {
    balanceBefore,
    ...(tenant.fresh ? {} : { sinceSeconds: Math.floor(run.startedAtEpochMs / 1000) }),
  });
  const recovery = afterRecovery(wait, tenant.account, snapshot);
  return { settings, run, snapshot, recovery, audits: audit(run, tenant.account, snapshot, recovery), latency: latencyReport(run) };
};
