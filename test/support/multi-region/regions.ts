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
import { postChargeUntilAnswered } from './charge-client.js';
import { startDynamoDbStore, type DynamoDbStore } from './dynamodb-store.js';
import { startReplicator, type Replicator, type Side } from './replicator.js';
import { shutdownList, stopChild } from '../../../local/shutdown.js';

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

const regionEntry = 'test/support/multi-region/region-process.ts';

const stopGraceMs = 5_000;

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
  Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(TABLE_|QUEUE_URL_|DLQ_URL_|AWS_)/.test(name)));

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
  const request = { apiUrl: region.apiUrl, authorization: tenant.authorization, key: randomUUID() };
  const answer = await postChargeUntilAnswered({ ...request, body: { amount: 100, currency: 'usd', source: 'tok_visa' } }, 60_000);
  if (answer.status !== 201) throw new Error(`Region ${region.name} answered its warm-up charge with ${answer.status}`);
};

/**
 * Two regions of Retrysafe on this machine, us-east-1 and us-west-2: each its own API (a child
 * process running region-process.ts), its own SQS emulator and sandbox processor, its regional
 * tables, and the strong and eventual tables shared as the model says. Everything started is
 * stopped by stop(), also when start-up fails half way.
 */
export const startTwoRegions = async (options: TwoRegionsOptions): Promise<TwoRegions> => {
  const { stops, stop } = shutdownList('a simulated region service');

  /**
   * Starts several things at once. Settled rather than Promise.all: whatever did start is
   * stopped by stop(), also when another failed, or is still starting when the first fails.
   */
  const together = async <T extends readonly unknown[] | []>(
    starting: T,
    stopOf: (started: Awaited<T[number]>) => () => Promise<void>,
  ): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> => {
    const settled = (await Promise.allSettled(starting)) as PromiseSettledResult<unknown>[];
    for (const result of settled) if (result.status === 'fulfilled') stops.push(stopOf(result.value as Awaited<T[number]>));
    const failed = settled.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    return settled.map((result) => (result as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
  };

  try {
    const stopStore = (store: DynamoDbStore) => () => store.stop();
    const [eastStore, westStore] =
      options.model === 'eventual'
        ? await together([startDynamoDbStore(), startDynamoDbStore()], stopStore)
        : await together([startDynamoDbStore()], stopStore).then(([store]) => [store, store] as const);
    const dynamoDbStores: Record<Side, DynamoDbStore> = { east: eastStore, west: westStore };

    const sqsPorts: Record<Side, number> = { east: await freePort(), west: await freePort() };
    await together(
      (['east', 'west'] as const).map((side) => startSqsLocal(sqsPorts[side])),
      (sqsLocal) => () => sqsLocal.stop(),
    );
    const provisionRegion = async (side: Side): Promise<Record<string, string>> => {
      const sqs = new SQSClient({
        endpoint: `http://127.0.0.1:${sqsPorts[side]}`,
        region: regionNames[side],
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      try {
        // The strong store's keyOwners table is east's: provisioning it in west too would leave one nobody uses.
        const multiRegion = options.ownership && side === 'east';
        return (await provision(dynamoDbStores[side].dynamodb, sqs, `sim-${regionNames[side]}`, { multiRegion })).environment;
      } finally {
        sqs.destroy();
      }
    };
    const [eastResources, westResources] = await Promise.all([provisionRegion('east'), provisionRegion('west')]);
    const resources: Record<Side, Record<string, string>> = { east: eastResources, west: westResources };
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
      const regionEnv = {
        ...env,
        SIM_API_PORT: String(plan.apiPort),
        ...(plan.strongEndpoint === undefined ? {} : { SIM_STRONG_DYNAMODB_ENDPOINT: plan.strongEndpoint }),
      };
      const what = `Region ${regionNames[side]}`;
      const [, firstCompute] = await together(
        [
          forkReady('local/processor-server.ts', { ...env, PROCESSOR_PORT: String(plan.processorPort) }, `The ${side} processor`),
          forkReady(regionEntry, regionEnv, what),
        ],
        (child) => () => stopChild(child, 'SIGTERM', stopGraceMs),
      );
      let compute = firstCompute;
      // The compute process is replaced by restart(): stop() must end the current one.
      stops.push(() => stopChild(compute, 'SIGTERM', stopGraceMs));
      return {
        name: regionNames[side],
        apiUrl: `http://127.0.0.1:${plan.apiPort}`,
        processorUrl: `http://127.0.0.1:${plan.processorPort}`,
        kill: () => stopChild(compute, 'SIGKILL'),
        restart: async () => {
          await stopChild(compute, 'SIGKILL');
          compute = await forkReady(regionEntry, regionEnv, what);
        },
      };
    };
    const [east, west] = await together([startRegion('east'), startRegion('west')], () => () => Promise.resolve());
    await Promise.all([warmUp(east, warmUpTenant), warmUp(west, warmUpTenant)]);
    return { east, west, replicator, stores, tenant, stop };
  } catch (error) {
    await stop();
    throw error;
  }
};
