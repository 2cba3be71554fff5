import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { storeApiKey } from '../../../lambdas/auth/api-keys.js';
import { setRateLimitOverride } from '../../../lambdas/rate-limit/overrides.js';
import { settingsEnvironment } from '../../../lambdas/settings.js';
import type { AccountId } from '../../../lambdas/shared/ids.js';
import { tableEnvVar, tables, type TableName } from '../../../lambdas/topology.js';
import { localAwsEnvironment } from '../../../local/aws-env.js';
import { repositoryRoot } from '../../../local/functions.js';
import { freePort } from '../../../local/ports.js';
import { localTableName, provision } from '../../../local/provision.js';
import { startSqsLocal } from '../../../local/sqs-local.js';
import { sourceConditionFlag } from '../../../workspace-conditions.js';
import { startDynamoDbStore, type DynamoDbStore } from './dynamodb-store.js';
import { startReplicator, type Replicator, type Side } from './replicator.js';

/**
 * How the tables the topology calls strong or eventual are shared between the two regions:
 * - eventual: each region has its own DynamoDB Local, joined by the replicator (MREC as it is);
 * - strong: one DynamoDB Local holds them for both regions (every read sees every write).
 * Regional tables are the region's own in both.
 */
export type ReplicationModel = 'eventual' | 'strong';

export const regionNames = { east: 'us-east-1', west: 'us-west-2' } as const satisfies Record<Side, string>;

export interface TwoRegionsOptions {
  readonly model: ReplicationModel;
  /** Eventual model: how late a write reaches the other region. */
  readonly lagMs?: number;
  /** The keyOwners table (on the strong store) is deployed and given to both regions. */
  readonly ownership: boolean;
}

export interface SimulatedRegion {
  readonly name: string;
  readonly apiUrl: string;
  readonly processorUrl: string;
  /** SIGKILL: the region's compute dies at once, mid-request; its data, queues and processor live on. */
  kill(): Promise<void>;
  /** Starts the region's compute again on the same port, after a kill. */
  restart(): Promise<void>;
}

/** Where one region's tables are, as the region's own functions see them. */
export interface RegionStore {
  readonly region: string;
  readonly documents: DynamoDBDocumentClient;
  tableName(table: TableName): string;
}

export interface TestTenantInBothRegions {
  readonly account: AccountId;
  readonly apiKey: string;
  readonly authorization: { Authorization: string };
}

export interface TwoRegions {
  readonly east: SimulatedRegion;
  readonly west: SimulatedRegion;
  /** Eventual model only. */
  readonly replicator: Replicator | undefined;
  readonly stores: Readonly<Record<Side, RegionStore>>;
  /** One tenant whose API key works in both regions, its rate limit far above anything a test sends. */
  readonly tenant: TestTenantInBothRegions;
  stop(): Promise<void>;
}

const readyTimeoutMs = 60_000;

const stopChild = (child: ChildProcess, signal: NodeJS.Signals): Promise<void> =>
  new Promise((resolveStop) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolveStop();
      return;
    }
    child.once('exit', () => {
      resolveStop();
    });
    child.kill(signal);
    if (signal !== 'SIGKILL') setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
  });

/** Forks a process and waits for its IPC readiness message. */
const forkReady = (entry: string, env: NodeJS.ProcessEnv, what: string): Promise<ChildProcess> =>
  new Promise((resolveChild, reject) => {
    const child = fork(resolve(repositoryRoot, entry), [], {
      execArgv: [sourceConditionFlag, '--import', 'tsx'],
      env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} was not ready within ${readyTimeoutMs} ms`));
    }, readyTimeoutMs);
    child.once('message', () => {
      clearTimeout(timer);
      resolveChild(child);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with code ${code ?? 'null'} before it was ready`));
    });
  });

/** The test process's own environment without anything that names its tables, queues or endpoints. */
const inheritedEnvironment = (): NodeJS.ProcessEnv =>
  Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(TABLE_|QUEUE_URL_|DLQ_URL_|AWS_)/.test(name)),
  );

interface RegionPlan {
  readonly side: Side;
  readonly store: DynamoDbStore;
  readonly sqsPort: number;
  readonly apiPort: number;
  readonly processorPort: number;
  readonly resources: Record<string, string>;
  readonly strongEndpoint: string | undefined;
}

const functionEnvironment = (plan: RegionPlan): NodeJS.ProcessEnv => ({
  ...inheritedEnvironment(),
  ...localAwsEnvironment({ dynamodbPort: Number(new URL(plan.store.endpoint).port), sqsPort: plan.sqsPort }),
  AWS_REGION: regionNames[plan.side],
  POWERTOOLS_LOG_LEVEL: process.env.SIM_LOG_LEVEL ?? 'SILENT',
  POWERTOOLS_METRICS_DISABLED: 'true',
  ...settingsEnvironment({
    PROCESSOR_URL: `http://127.0.0.1:${plan.processorPort}`,
    WEBHOOK_ALLOW_LOOPBACK: true,
    // Recovery jobs (the completer among them) every second, so a test sees recovery within its time.
    RECOVERY_INTERVAL_SECONDS: 1,
  }),
  ...plan.resources,
});

const tableNamesOf = (resources: Record<string, string>) => (table: TableName) => {
  const name = resources[tableEnvVar(table)];
  if (name === undefined) throw new Error(`Table ${table} is not deployed in this simulation`);
  return name;
};

const seedTenant = async (store: RegionStore, tenant: TestTenantInBothRegions, withApiKey: boolean): Promise<void> => {
  if (withApiKey) await storeApiKey(store.documents, store.tableName('apiKeys'), tenant.apiKey, tenant.account);
  await setRateLimitOverride(
    { client: store.documents, tableName: store.tableName('rateLimits'), tenant: tenant.account },
    { ratePerMinute: 1_000_000, burst: 100_000 },
  );
};

const newTenant = (): TestTenantInBothRegions => {
  const apiKey = `sk_test_${randomUUID()}`;
  return { account: `acct_${randomUUID().replaceAll('-', '')}` as AccountId, apiKey, authorization: { Authorization: `Bearer ${apiKey}` } };
};

/**
 * One charge through the region, under a tenant of its own: a fresh DynamoDB Local and a freshly
 * loaded processor answer their first requests slowly enough for Retrysafe's processor timeout to
 * expire, which a test of concurrent traffic must not mistake for what it tests.
 */
const warmUp = async (region: SimulatedRegion, tenant: TestTenantInBothRegions): Promise<void> => {
  const response = await fetch(`${region.apiUrl}/v1/charges`, {
    method: 'POST',
    headers: { ...tenant.authorization, 'Idempotency-Key': randomUUID(), 'Content-Type': 'application/json' },
    body: JSON.stringify({ amount: 100, currency: 'usd', source: 'tok_visa' }),
  });
  await response.arrayBuffer();
  if (response.status !== 201) throw new Error(`Region ${region.name} answered its warm-up charge with ${response.status}`);
};

/**
 * Two regions of Retrysafe on this machine, us-east-1 and us-west-2: each its own API (a child
 * process running region-process.ts), its own SQS emulator and sandbox processor, its regional
 * tables, and the strong and eventual tables shared as the model says. Everything started is
 * stopped by stop(), also when start-up fails half way.
 */
export const startTwoRegions = async (options: TwoRegionsOptions): Promise<TwoRegions> => {
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const stopOne of stops.reverse()) {
      await stopOne().catch((error: unknown) => {
        console.error('Stopping a simulated region service failed', error);
      });
    }
    stops.length = 0;
  };

  try {
    const eastStore = await startDynamoDbStore();
    stops.push(() => eastStore.stop());
    const westStore = options.model === 'eventual' ? await startDynamoDbStore() : eastStore;
    if (westStore !== eastStore) stops.push(() => westStore.stop());
    const dynamoDbStores: Record<Side, DynamoDbStore> = { east: eastStore, west: westStore };

    const resources = {} as Record<Side, Record<string, string>>;
    const sqsPorts = {} as Record<Side, number>;
    for (const side of ['east', 'west'] as const) {
      sqsPorts[side] = await freePort();
      const sqsLocal = await startSqsLocal(sqsPorts[side]);
      stops.push(() => sqsLocal.stop());
      const sqs = new SQSClient({
        endpoint: sqsLocal.endpoint,
        region: regionNames[side],
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      // The strong store's keyOwners table is east's: provisioning it in west too would leave one nobody uses.
      const multiRegion = options.ownership && side === 'east';
      resources[side] = (await provision(dynamoDbStores[side].dynamodb, sqs, `sim-${regionNames[side]}`, { multiRegion })).environment;
      sqs.destroy();
    }
    // A table not kept per region is east's wherever both regions share it: keyOwners in every
    // model, and every replicated table in the strong model.
    for (const [table, spec] of Object.entries(tables) as [TableName, (typeof tables)[TableName]][]) {
      const shared = spec.replication === 'strong' || (spec.replication === 'eventual' && options.model === 'strong');
      const eastName = resources.east[tableEnvVar(table)];
      if (shared && eastName !== undefined) resources.west[tableEnvVar(table)] = eastName;
    }

    const replicator =
      options.model === 'eventual'
        ? await startReplicator({
            clients: dynamoDbStores,
            tables: (Object.entries(tables) as [TableName, (typeof tables)[TableName]][])
              .filter(([, spec]) => spec.replication === 'eventual')
              .map(([table]) => ({
                table,
                names: { east: localTableName(table, `sim-${regionNames.east}`), west: localTableName(table, `sim-${regionNames.west}`) },
              })),
            lagMs: options.lagMs ?? 300,
          })
        : undefined;
    if (replicator !== undefined) stops.push(() => replicator.stop());

    const stores = {} as Record<Side, RegionStore>;
    for (const side of ['east', 'west'] as const) {
      stores[side] = { region: regionNames[side], documents: dynamoDbStores[side].documents, tableName: tableNamesOf(resources[side]) };
    }
    const [tenant, warmUpTenant] = [newTenant(), newTenant()];
    for (const seeded of [tenant, warmUpTenant]) {
      // Seeded in each region rather than through replication, so neither waits for the other; rate limits are regional anyway.
      await seedTenant(stores.east, seeded, true);
      // A key is stored once per table: in the strong model both regions read east's.
      await seedTenant(stores.west, seeded, stores.west.tableName('apiKeys') !== stores.east.tableName('apiKeys'));
    }

    const startRegion = async (side: Side): Promise<SimulatedRegion> => {
      const plan: RegionPlan = {
        side,
        store: dynamoDbStores[side],
        sqsPort: sqsPorts[side],
        apiPort: await freePort(),
        processorPort: await freePort(),
        resources: resources[side],
        strongEndpoint: options.ownership ? eastStore.endpoint : undefined,
      };
      const env = functionEnvironment(plan);
      const processor = await forkReady('local/processor-server.ts', { ...env, PROCESSOR_PORT: String(plan.processorPort) }, `The ${side} processor`);
      stops.push(() => stopChild(processor, 'SIGTERM'));
      const regionEnv = {
        ...env,
        SIM_API_PORT: String(plan.apiPort),
        ...(plan.strongEndpoint === undefined ? {} : { SIM_STRONG_DYNAMODB_ENDPOINT: plan.strongEndpoint }),
      };
      const what = `Region ${regionNames[side]}`;
      let compute = await forkReady('test/support/multi-region/region-process.ts', regionEnv, what);
      stops.push(() => stopChild(compute, 'SIGTERM'));
      return {
        name: regionNames[side],
        apiUrl: `http://127.0.0.1:${plan.apiPort}`,
        processorUrl: `http://127.0.0.1:${plan.processorPort}`,
        kill: () => stopChild(compute, 'SIGKILL'),
        restart: async () => {
          await stopChild(compute, 'SIGKILL');
          compute = await forkReady('test/support/multi-region/region-process.ts', regionEnv, what);
        },
      };
    };
    // Settled, not Promise.all: a region still starting when the other failed must be stopped too.
    const [east, west] = await Promise.allSettled([startRegion('east'), startRegion('west')]);
    if (east.status === 'rejected') throw east.reason;
    if (west.status === 'rejected') throw west.reason;
    await Promise.all([warmUp(east.value, warmUpTenant), warmUp(west.value, warmUpTenant)]);
    return { east: east.value, west: west.value, replicator, stores, tenant, stop };
  } catch (error) {
    await stop();
    throw error;
  }
};
