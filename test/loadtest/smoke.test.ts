import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServicesInWorker, startServicesInWorker } from '../support/services-in-worker.js';
import { dynamo } from '../../lambdas/shared/dynamodb.js';
import { tableName } from '../../lambdas/shared/env.js';
import { isStoredAnswer, type AnsweredExchange } from '../../loadtest/exchange.js';
import { runLoadTest } from '../../loadtest/load-test.js';
import { pendingRecoveryPoints } from '../../loadtest/recovery.js';
import { createFreshTenant, unlimited } from '../../loadtest/tenant.js';
import { processorFromEnvironment } from '../../lambdas/payments/processor-client/from-environment.js';
import { runCompleterLater, testClock } from '../support/completer-run.js';
import { usePrivateIdempotencyTable } from '../support/private-idempotency-table.js';

/**
 * The load test end to end on a small scale: the local API Gateway and the sandbox processor
 * (both in this worker, on the global setup's DynamoDB Local), the driver over HTTP, and the
 * audits of what the run left behind.
 */
describe('npm run loadtest, small', () => {
  let services: ServicesInWorker;
  let apiUrl: string;
  let processorUrl: string;
  let idempotencyTable: string;

  beforeAll(async () => {
    // The completer the test runs takes over every due point of its table; only this suite's may be in it.
    idempotencyTable = await usePrivateIdempotencyTable('loadtest-smoke');
    services = await startServicesInWorker();
    ({ apiUrl, processorUrl } = services);
  });

  afterAll(async () => {
    await services.stop();
  });

  it('sends retries, concurrent duplicates, lost responses, changed bodies, declines, faults and clients that never retry, and every audit passes once the completer has run', async () => {
    const tenant = await createFreshTenant(dynamo(), { apiKeys: tableName('apiKeys'), rateLimits: tableName('rateLimits') }, unlimited);

    const { run, audits, recovery } = await runLoadTest({
      apiUrl,
      processor: { url: processorUrl },
      dynamo: dynamo(),
      ledgerTable: tableName('ledger'),
      eventsTable: tableName('events'),
      tenant,
      recovery: {
        // The scheduled completer, run by hand once every lease and settle window has passed: the load has ended, so no executor is at work.
        read: async () => {
          await runCompleterLater(testClock(), processorFromEnvironment());
          return pendingRecoveryPoints({ dynamo: dynamo(), idempotencyTable, account: tenant.account });
        },
        timeoutMs: 60_000,
        pollMs: 0,
      },
      settings: {
        requests: 300,
        concurrency: 20,
        mix: {
          retryShare: 0.3,
          mismatchShare: 0.05,
          declineShare: 0.15,
          faultShare: 0.04,
          processorTimeoutShare: 0.02,
          neverRetryShare: 0.1,
          neverRetryCopies: 2,
        },
        seed: 7,
        clientTimeoutMs: 5,
        requestTimeoutMs: 20_000,
        retryAfterCapMs: 200,
      },
    });

    expect(audits.filter((result) => !result.passed)).toEqual([]);
    expect(run.exchanges).toHaveLength(300);
    expect(recovery.drained).toBe(true);
    for (const kind of ['single', 'concurrent', 'lost-response', 'after-503', 'retry-later', 'changed-body', 'never-retry'] as const) {
      expect(run.scripts[kind], kind).toBeGreaterThan(0);
    }
    const answered = run.exchanges.filter((exchange): exchange is AnsweredExchange => exchange.kind === 'answered');
    expect(answered.some((exchange) => exchange.status === 201 && !exchange.replayed)).toBe(true);
    expect(answered.some((exchange) => isStoredAnswer(exchange) && exchange.replayed)).toBe(true);
    expect(answered.some((exchange) => exchange.status === 402)).toBe(true);
    expect(answered.some((exchange) => exchange.status === 422)).toBe(true);
    expect(answered.some((exchange) => exchange.status === 503)).toBe(true);
  }, 180_000);
});
