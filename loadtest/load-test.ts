import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { audit, readSnapshot, type AuditResult, type ServerSnapshot } from './audit.js';
import { startLoad, type DriverSettings, type LoadRun, type RunningLoad } from './driver.js';
import { latencyReport, type LatencyReport } from './latency.js';
import { readBalance, type AuditSources, type ProcessorAccess } from './server-state.js';
import type { LoadTenant } from './tenant.js';

export interface LoadTestInput {
  readonly apiUrl: string;
  readonly processor: ProcessorAccess;
  readonly dynamo: DynamoDBDocumentClient;
  readonly ledgerTable: string;
  readonly tenant: LoadTenant;
  readonly settings: Omit<DriverSettings, 'apiUrl' | 'apiKey'>;
  /** Called once the load is running, e.g. to show progress; returns what to call when it ends. */
  readonly watch?: (load: RunningLoad) => () => void;
  /** Runs between the load and the audit's reads, e.g. to lift a rate limit the run measured. */
  readonly beforeAudit?: () => Promise<void>;
}

export interface LoadTestOutcome {
  readonly settings: DriverSettings;
  readonly run: LoadRun;
  readonly snapshot: ServerSnapshot;
  readonly audits: readonly AuditResult[];
  readonly latency: LatencyReport;
}

/** The load, then the audits of what it left behind: the whole test, without its reporting. */
export const runLoadTest = async (input: LoadTestInput): Promise<LoadTestOutcome> => {
  const { tenant } = input;
  const sources: AuditSources = {
    apiUrl: input.apiUrl,
    apiKey: tenant.apiKey,
    account: tenant.account,
    processor: input.processor,
    dynamo: input.dynamo,
    ledgerTable: input.ledgerTable,
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
  await input.beforeAudit?.();
  const snapshot = await readSnapshot(run, sources, {
    balanceBefore,
    ...(tenant.fresh ? {} : { chargesSinceSeconds: Math.floor(run.startedAtEpochMs / 1000) }),
  });
  return { settings, run, snapshot, audits: audit(run, tenant.account, snapshot), latency: latencyReport(run) };
};
