import { mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiUrlOf } from './charge-client.js';
import { latencyChart } from './chart.js';
import { randomSeed } from './driver.js';
import { runLoadTest } from './load-test.js';
import { parseOptions, usage, UsageError, type LoadTestOptions } from './options.js';
import { showProgress } from './progress.js';
import { pendingRecoveryPoints, recoveryProgressLine } from './recovery.js';
import { buildReport, renderText, targetP99Ms } from './report.js';
import { listProcessorCharges } from './server-state.js';
import { openTarget, type LoadTarget } from './target.js';
import { createFreshTenant, setTenantLimit, unlimited, type LoadTenant, type TenantTables } from './tenant.js';

const repositoryRoot = resolve(fileURLToPath(import.meta.url), '../..');

class UnreachableError extends Error {
  override name = 'UnreachableError';
}

/** How often the wait after the load looks at the tenant's recovery points. */
const recoveryPollMs = 2_000;
/** How often it says how many are left. */
const recoveryShowEveryMs = 10_000;

const localHint = ' Is `npm start` running (with the same PORT / PROCESSOR_PORT / DYNAMODB_PORT)? Or use --start-local.';

const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Fails before the load when the API or the processor cannot be reached, rather than at the audit. */
const assertReachable = async (target: LoadTarget): Promise<void> => {
  const hint = target.kind === 'local-stack' ? localHint : '';
  const health = apiUrlOf(target.apiUrl, '/health');
  try {
    const response = await fetch(health, { signal: AbortSignal.timeout(5_000) });
    await response.body?.cancel();
  } catch (error) {
    throw new UnreachableError(`Cannot reach ${health.href}: ${reason(error)}.${hint}`);
  }
  try {
    await listProcessorCharges(target.processor, Date.now(), new Set());
  } catch (error) {
    throw new UnreachableError(`Cannot list the processor's charges at ${target.processor.url}: ${reason(error)}.${hint}`);
  }
};

const openTenant = async (options: LoadTestOptions, target: LoadTarget): Promise<LoadTenant> => {
  if (options.existingTenant !== undefined) return { ...options.existingTenant, fresh: false };
  try {
    return await createFreshTenant(target.dynamo, tenantTables(target), options.rateLimit ?? unlimited);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UnreachableError(
      `Cannot create a fresh tenant in ${target.tables.apiKeys ?? '?'}: ${reason(error)}.${target.kind === 'local-stack' ? localHint : ''}`,
    );
  }
};

const tenantTables = (target: LoadTarget): TenantTables => {
  const { apiKeys, rateLimits } = target.tables;
  if (apiKeys === undefined || rateLimits === undefined)
    throw new UsageError('A fresh tenant needs --api-keys-table and --rate-limits-table');
  return { apiKeys, rateLimits };
};

const run = async (options: LoadTestOptions, target: LoadTarget): Promise<number> => {
  await assertReachable(target);
  const tenant = await openTenant(options, target);
  const seed = options.seed ?? randomSeed();
  console.error(
    `Load test against ${target.apiUrl}, tenant ${tenant.account}: ${options.requests.toLocaleString('en-US')} charge requests, ` +
      `${options.concurrency} in flight, seed ${seed}`,
  );

  let lastShownMs = -recoveryShowEveryMs;
  const outcome = await runLoadTest({
    apiUrl: target.apiUrl,
    processor: target.processor,
    dynamo: target.dynamo,
    ledgerTable: target.tables.ledger,
    eventsTable: target.tables.events,
    tenant,
    settings: {
      requests: options.requests,
      concurrency: options.concurrency,
      mix: options.mix,
      seed,
      clientTimeoutMs: options.clientTimeoutMs,
      requestTimeoutMs: options.requestTimeoutMs,
      retryAfterCapMs: options.retryAfterCapMs,
    },
    watch: (load) => showProgress(() => load.progress()),
    recovery: {
      read: () => pendingRecoveryPoints({ dynamo: target.dynamo, idempotencyTable: target.tables.idempotency, account: tenant.account }),
      timeoutMs: options.recoveryTimeoutMs,
      pollMs: recoveryPollMs,
      onProgress: (left, elapsedMs) => {
        if (left.length > 0 && elapsedMs < lastShownMs + recoveryShowEveryMs) return;
        lastShownMs = elapsedMs;
        console.error(recoveryProgressLine(left, elapsedMs, Date.now()));
      },
    },
    // The audit pages through every charge; a limit the run meant to measure would only slow it.
    ...(tenant.fresh && options.rateLimit !== undefined
      ? { beforeAudit: () => setTenantLimit(target.dynamo, tenantTables(target), tenant, unlimited) }
      : {}),
  });
  console.error('Recovery finished; auditing...');

  const report = buildReport({
    target: {
      apiUrl: target.apiUrl,
      processorUrl: target.processor.url,
      kind: target.kind,
      account: tenant.account,
      freshTenant: tenant.fresh,
      rateLimit: options.rateLimit,
    },
    settings: outcome.settings,
    run: outcome.run,
    latency: outcome.latency,
    recovery: outcome.recovery,
    audits: outcome.audits,
  });
  const outDir = options.outDir === undefined ? resolve(repositoryRoot, 'bench/results') : resolve(options.outDir);
  await mkdir(outDir, { recursive: true });
  const jsonPath = resolve(outDir, 'loadtest.json');
  const chartPath = resolve(outDir, 'loadtest-latency.svg');
  await writeFile(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(
    chartPath,
    latencyChart({
      title: 'Retrysafe load test: latency by outcome',
      subtitle:
        `${report.run.requestsSent.toLocaleString('en-US')} charge requests, ${options.concurrency} in flight, ${report.throughput.requestsPerSecond} requests/s, ` +
        `${target.kind === 'remote' ? target.apiUrl : `local stack on DynamoDB Local, ${report.machine.cpus} cores`}, ${report.generatedAt.slice(0, 16)}Z`,
      samples: outcome.latency.samples,
      targetMs: targetP99Ms,
    }),
  );
  console.log(renderText(report));
  console.log(`\nWrote ${jsonPath}\n  and ${chartPath}`);
  return report.passed ? 0 : 1;
};

const main = async (): Promise<number> => {
  let options: LoadTestOptions;
  try {
    const parsed = parseOptions(process.argv.slice(2));
    if (parsed.help) {
      console.log(usage);
      return 0;
    }
    options = parsed.options;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${usage}`);
    return 2;
  }

  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  if (options.target.kind === 'start-local') console.error('Starting a local stack on free ports...');
  const target = await openTarget(options.target);
  const interrupt = () => {
    console.error('\nInterrupted; stopping...');
    void target.close().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  try {
    return await run(options, target);
  } catch (error) {
    if (error instanceof UnreachableError || error instanceof UsageError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  } finally {
    process.off('SIGINT', interrupt);
    await target.close();
  }
};

// Exit explicitly: the API handlers of a --start-local stack keep SDK clients with open sockets.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
