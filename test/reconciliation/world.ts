import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { IdempotencyKey } from '@retrysafe/idempotency';
import { downstreamKey } from '../../lambdas/payments/key-guard.js';
import type { CardProcessor, ProcessorChargeOutcome } from '../../lambdas/payments/processor-client/card-processor.js';
import { chargeMetadata } from '../../lambdas/payments/processor-metadata.js';
import type { CreateChargeRequest } from '../../lambdas/payments/requests.js';
import {
  reconcile,
  type ReconcileOptions,
  type ReconcilerDeps,
  type ReconciliationReport,
} from '../../lambdas/reconciliation/reconciler.js';
import { reconcilerDeps, type ReconcilerTable } from '../../lambdas/reconciliation/reconciler-deps.js';
import { dynamo } from '../../lambdas/shared/dynamodb.js';
import { tableName } from '../../lambdas/shared/env.js';
import { processorSettleMs } from '../../lambdas/shared/idempotency-engine.js';
import { tableEnvVar, tables } from '../../lambdas/topology.js';
import { ensureTable } from '../../local/provision.js';
import type { Server } from 'node:http';
import {
  createSandboxProcessorHandler,
  depsFromEnvironment as sandboxDepsFromEnvironment,
} from '../../lambdas/sandbox-processor/handler.js';
import { startFunctionUrl } from '../../local/function-url.js';
import type { LambdaHandler } from '../../local/functions.js';
import { freePort } from '../../local/ports.js';
import type { TestClock } from '../support/completer-run.js';
import { usePrivateIdempotencyTable } from '../support/private-idempotency-table.js';
import type { TestTenant } from '../support/tenants.js';
import { api, type Api, sandbox } from '../payments/harness.js';

/**
 * A reconciliation test's own world: the reconciler walks every object of the processor and
 * reads every recovery point of its idempotency table, so each test gets a sandbox processor,
 * a processor table, an idempotency table and a watermark table of its own (the payments tables
 * are shared: tenants keep them apart). Processor, API, completer and reconciler all read the
 * one clock the test moves by hand, so "settled" means what the test says.
 */
export interface World {
  readonly clock: TestClock;
  readonly processorUrl: string;
  readonly tables: Readonly<Record<ReconcilerTable, string>>;
  readonly processor: CardProcessor;
  readonly api: Api;
  readonly deps: ReconcilerDeps;
  /** A run now, judging only what settled before now. */
  readonly reconcileNow: (options?: Partial<ReconcileOptions>, deps?: Partial<ReconcilerDeps>) => Promise<ReconciliationReport>;
  /** A run once everything done until now has settled at the processor. */
  readonly reconcileLater: (options?: Partial<ReconcileOptions>, deps?: Partial<ReconcilerDeps>) => Promise<ReconciliationReport>;
}

/** Time a reconciliation may take in a test: generous, so a run always finishes. */
const runMs = 60_000;

/** A stuck threshold far beyond anything a test's clock moves, unless the test sets its own. */
const neverStuckMs = 365 * 24 * 3600 * 1000;

const servers: Server[] = [];

/** Stops every world's sandbox; for afterAll. */
export const closeWorlds = (): void => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
};

export const openWorld = async (clock: TestClock): Promise<World> => {
  const suffix = randomUUID().slice(0, 8);
  const admin = new DynamoDBClient({});
  const processorTable = `test-processor-reconcile-${suffix}`;
  const reconciliationTable = `test-reconciliation-${suffix}`;
  await ensureTable(admin, processorTable, tables.processor);
  await ensureTable(admin, reconciliationTable, tables.reconciliation);
  admin.destroy();
  // The sandbox reads its table's name per request.
  process.env[tableEnvVar('processor')] = processorTable;
  const idempotency = await usePrivateIdempotencyTable('reconcile');
  const port = await freePort();
  const sandboxHandler = createSandboxProcessorHandler({ ...sandboxDepsFromEnvironment(), now: clock.now });
  servers.push(await startFunctionUrl('processor', port, () => Promise.resolve(sandboxHandler as LambdaHandler)));
  const processorUrl = `http://127.0.0.1:${port}`;
  const processor = sandbox(processorUrl);
  const worldTables = {
    apiKeys: tableName('apiKeys'),
    idempotency,
    payments: tableName('payments'),
    ledger: tableName('ledger'),
    events: tableName('events'),
    reconciliation: reconciliationTable,
  };
  const deps = reconcilerDeps({ client: dynamo(), tables: worldTables, processor, stuckAfterMs: neverStuckMs, now: clock.now });
  const reconcileNow = (options: Partial<ReconcileOptions> = {}, overrides: Partial<ReconcilerDeps> = {}) =>
    reconcile({ ...deps, ...overrides }, { deadlineMs: clock.now() + runMs, ...options });
  return {
    clock,
    processorUrl,
    tables: worldTables,
    processor,
    api: api({ processor, now: clock.now }),
    deps,
    reconcileNow,
    reconcileLater: (options, overrides) => {
      clock.advance(processorSettleMs + runMs);
      return reconcileNow(options, overrides);
    },
  };
};

/**
 * A charge the processor made for a Retrysafe request of which Retrysafe kept nothing (its
 * idempotency record lost, its client never back): exactly what the charge flow sends.
 */
export const chargeAtProcessorOnly = (
  world: World,
  tenant: TestTenant,
  key: string,
  request: CreateChargeRequest,
): Promise<ProcessorChargeOutcome> =>
  world.processor.charge({
    amount: request.amount,
    currency: request.currency,
    source: request.source,
    ...(request.description === undefined ? {} : { description: request.description }),
    metadata: chargeMetadata(tenant.account, request.metadata),
    idempotencyKey: downstreamKey(tenant.account, key as IdempotencyKey),
  });
