import { afterEach, describe, expect, it, vi } from 'vitest';
import type { IdempotencyKey } from '@retrysafe/idempotency';
import { observeKeyedRequest } from '../../lambdas/http/idempotency-telemetry.js';
import { keyHash } from '../../lambdas/shared/key-hash.js';
import { createLogger } from '../../lambdas/shared/logger.js';
import { addRequestLogContext, withRequestLogContext } from '../../lambdas/shared/request-log-context.js';

// Tests run with POWERTOOLS_LOG_LEVEL=SILENT; these loggers speak.
const speakingLogger = () => {
  const logger = createLogger('test');
  logger.setLogLevel('INFO');
  return logger;
};

afterEach(() => {
  vi.restoreAllMocks();
});

/** The JSON lines the loggers wrote while `run` ran. */
const logLinesOf = async (run: () => Promise<void>): Promise<Record<string, unknown>[]> => {
  const lines: string[] = [];
  const capture = (chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  await run();
  return lines
    .flatMap((line) => line.split('\n'))
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
};

describe('request logs', () => {
  it('carry the request id, tenant, key hash and downstream key on every line, and never the key', async () => {
    const key = 'order-4711-customer@example.com' as IdempotencyKey;
    const logger = speakingLogger();
    const lines = await logLinesOf(() =>
      withRequestLogContext({ requestId: 'req-1', apiRequestId: 'api-1' }, async () => {
        addRequestLogContext({ tenant: 'acct_a' });
        observeKeyedRequest({ record: () => undefined }, 'POST /v1/charges')(key);
        addRequestLogContext({ downstreamKey: 'rs_downstream_1' });
        await Promise.resolve();
        logger.warn('Processor unavailable', { attempt: 1 });
      }),
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'WARN',
      message: 'Processor unavailable',
      service: 'retrysafe-test',
      requestId: 'req-1',
      apiRequestId: 'api-1',
      tenant: 'acct_a',
      idempotencyKeyHash: keyHash(key),
      downstreamKey: 'rs_downstream_1',
      attempt: 1,
    });
    expect(JSON.stringify(lines)).not.toContain(key);
  });

  it('keeps two concurrent requests apart', async () => {
    const logger = speakingLogger();
    const serve = (requestId: string, tenant: string) =>
      withRequestLogContext({ requestId }, async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        addRequestLogContext({ tenant });
        await new Promise((resolve) => setTimeout(resolve, 5));
        logger.warn('done');
      });
    const lines = await logLinesOf(async () => {
      await Promise.all([serve('req-a', 'acct_a'), serve('req-b', 'acct_b')]);
    });
    expect(lines.map((line) => [line.requestId, line.tenant]).sort()).toEqual([
      ['req-a', 'acct_a'],
      ['req-b', 'acct_b'],
    ]);
  });
});
