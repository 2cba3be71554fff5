import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { tableFlag } from '../../cli/flags.js';
import { WatermarkStore } from '../../lambdas/reconciliation/watermarks.js';
import { createDocumentClient } from '../../lambdas/shared/dynamodb.js';
import { tables } from '../../lambdas/topology.js';
import { ensureTable } from '../../local/provision.js';
import { main } from '../../ops/main.js';
import { opsTables, type OpsTable } from '../../ops/options.js';

/** `npm run ops`, run in-process against tables and queues of each test's own, so other suites' work is never seen. */
const nowMs = Date.parse('2026-06-01T12:00:00Z');
const admin = new DynamoDBClient({});
const client = createDocumentClient(admin);
const sqs = new SQSClient({});
afterAll(() => {
  admin.destroy();
  sqs.destroy();
});

interface Stack {
  readonly tables: Record<OpsTable, string>;
  readonly deadLetterUrl: string;
  readonly streamFailureUrl: string;
  readonly flags: string[];
}

let stack: Stack;

beforeEach(async () => {
  const suffix = randomUUID().slice(0, 8);
  const names = Object.fromEntries(opsTables.map((table) => [table, `test-ops-${table}-${suffix}`])) as Record<OpsTable, string>;
  await Promise.all(opsTables.map((table) => ensureTable(admin, names[table], tables[table])));
  const queueUrl = async (name: string) => (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl ?? '';
  const [url, deadLetterUrl, streamFailureUrl] = await Promise.all([
    queueUrl(`test-ops-${suffix}`),
    queueUrl(`test-ops-${suffix}-dlq`),
    queueUrl(`test-ops-${suffix}-stream-failures`),
  ]);
  stack = {
    tables: names,
    deadLetterUrl,
    streamFailureUrl,
    flags: [
      ...opsTables.flatMap((table) => [`--${tableFlag(table)}`, names[table]]),
      '--webhook-deliveries-queue-url',
      url,
      '--webhook-deliveries-dead-letter-queue-url',
      deadLetterUrl,
      '--webhook-publisher-events-stream-failure-queue-url',
      streamFailureUrl,
      '--region',
      'us-east-1',
      '--dynamodb-endpoint',
      process.env.AWS_ENDPOINT_URL_DYNAMODB ?? '',
      '--sqs-endpoint',
      process.env.AWS_ENDPOINT_URL_SQS ?? '',
    ],
  };
});

const run = async (argv: readonly string[]) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (text) => out.push(text), err: (text) => err.push(text), now: () => nowMs });
  return { code, out: out.join('\n'), err: err.join('\n') };
};

const status = () => run(['status', ...stack.flags]);

const hourAgo = nowMs - 3600_000;

describe('npm run ops', () => {
  it('exits 2 with the usage on a bad command or flag, and when a deployed stack is named only in part', async () => {
    const unknown = await run(['restart']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('Usage: npm run ops');
    expect((await run(['status', '--bogus'])).code).toBe(2);
    expect((await run(['status', '--region', 'eu-west-1'])).err).toContain('only apply with the table and queue flags');
    expect((await run(['status', '--idempotency-table', 'x'])).err).toContain('--events-table (EventsTableName)');
    expect((await run(['redrive', ...stack.flags])).err).toContain('redrive needs --endpoint');
  });

  it('exits 2, saying what it could not reach, when SQS is down', async () => {
    const flags = [...stack.flags.slice(0, -1), 'http://127.0.0.1:9'];
    const result = await run(['status', ...flags]);
    expect(result.code).toBe(2);
    expect(result.err).toContain('Cannot read');
  });

  it('exits 0 on a clean stack, showing every check', async () => {
    const result = await status();
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toContain('0 unresolved, 0 of them IN_PROGRESS past their lease');
    expect(result.out).toContain('webhookDeliveries: 0 messages');
    expect(result.out).toContain('0 events unpublished');
    expect(result.out).toContain('none recorded yet');
    expect(result.out).toMatch(/ok +Rate-limit store\n +read in \d+ ms/);
    expect(result.out).toContain('Clean.');
  });

  it('exits 1 for a recovery point stuck past its lease, naming its key', async () => {
    await client.send(
      new PutCommand({
        TableName: stack.tables.idempotency,
        Item: {
          pk: 'acct_ops#key-stuck',
          status: 'IN_PROGRESS',
          fingerprint: 'f',
          token: 't',
          claimedAt: hourAgo,
          leaseUntil: hourAgo + 15_000,
          recovery: { scope: 'acct_ops', key: 'key-stuck', request: {}, since: hourAgo },
          recoverAt: hourAgo + 60_000,
          recoveryShard: 'R3',
        },
      }),
    );
    const result = await status();
    expect(result.code).toBe(1);
    expect(result.out).toContain(
      "1 unresolved, 1 of them IN_PROGRESS past their lease (the completer's to finish), 1 stuck longer than 15 min",
    );
    expect(result.out).toContain('acct_ops key key-stuck: unresolved since 2026-06-01T11:00:00.000Z (60 min), lease over');
    expect(result.out).toContain('Needs attention: recovery points.');
  });

  it('lists ordinary claims past their lease with --scan-claims, without calling for a human', async () => {
    const claim = (pk: string, leaseUntil: number) =>
      client.send(
        new PutCommand({
          TableName: stack.tables.idempotency,
          Item: { pk, status: 'IN_PROGRESS', fingerprint: 'f', token: 't', claimedAt: leaseUntil - 15_000, leaseUntil },
        }),
      );
    await Promise.all([claim('acct_ops#dead-executor', hourAgo), claim('acct_ops#still-running', nowMs + 10_000)]);
    expect((await status()).out).not.toContain('Claims past their lease');
    const result = await run(['status', '--scan-claims', ...stack.flags]);
    expect(result.code).toBe(0);
    expect(result.out).toContain('1 ordinary claim IN_PROGRESS past their lease');
    expect(result.out).toContain('acct_ops#dead-executor: lease ended 2026-06-01T11:00:00.000Z (60 min ago)');
    expect(result.out).not.toContain('still-running');
  });

  it('exits 1 for a message in the dead-letter queue', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: stack.deadLetterUrl, MessageBody: '{}' }));
    const result = await status();
    expect(result.code).toBe(1);
    expect(result.out).toContain('webhookDeliveries: 1 message');
    expect(result.out).toContain('Needs attention: dead-letter queues.');
  });

  it('exits 1 for a stream record the publisher gave up on, and asks a deployed stack for its failure queue', async () => {
    const withoutFailureQueue = stack.flags.filter(
      (_, i, flags) => flags[i] !== stack.streamFailureUrl && flags[i + 1] !== stack.streamFailureUrl,
    );
    expect((await run(['status', ...withoutFailureQueue])).err).toContain(
      '--webhook-publisher-events-stream-failure-queue-url (WebhookPublisherEventsStreamFailureQueueUrl)',
    );
    expect((await status()).out).toContain('webhookPublisher stream failures (events): 0 messages');
    await sqs.send(new SendMessageCommand({ QueueUrl: stack.streamFailureUrl, MessageBody: '{}' }));
    const result = await status();
    expect(result.code).toBe(1);
    expect(result.out).toContain('webhookPublisher stream failures (events): 1 message');
    expect(result.out).toContain('Needs attention: dead-letter queues.');
  });

  it('exits 1 for an outbox event unpublished past the sweeper, and not for a fresh one', async () => {
    const event = (id: string, sinceMs: number) =>
      client.send(
        new PutCommand({
          TableName: stack.tables.events,
          Item: { pk: `acct_ops#${id}`, sk: 'event', sweepShard: 1, unpublishedSince: Math.floor(sinceMs / 1000) },
        }),
      );
    await event('fresh', nowMs - 10_000);
    expect((await status()).code).toBe(0);
    await event('old', hourAgo);
    const result = await status();
    expect(result.code).toBe(1);
    expect(result.out).toContain('2 events unpublished, the oldest since 2026-06-01T11:00:00.000Z (60 min)');
    expect(result.out).toContain('Needs attention: outbox.');
  });

  it("shows the last reconciliation's summary, and exits 1 when it found a mismatch or the reconciler stopped", async () => {
    const counts = { matched: 5, recovered: 1, pending: 0, mismatched: 0, unknown: 0 };
    const watermarks = new WatermarkStore(client, stack.tables.reconciliation);
    await watermarks.recordRun({ at: nowMs - 60_000, counts, failed: 0, stuck: 0, finished: true });
    const clean = await status();
    expect(clean.code).toBe(0);
    expect(clean.out).toContain('ended 2026-06-01T11:59:00.000Z: 5 matched, 1 recovered, 0 pending, 0 mismatched');
    await watermarks.recordRun({ at: hourAgo, counts, failed: 0, stuck: 0, finished: true });
    const stale = await status();
    expect(stale.code).toBe(1);
    expect(stale.out).toContain('no run for 60 min, more than three intervals (3 min): is the reconciler running?');
    await watermarks.recordRun({ at: nowMs, counts: { ...counts, mismatched: 2 }, failed: 0, stuck: 0, finished: true });
    const mismatched = await status();
    expect(mismatched.code).toBe(1);
    expect(mismatched.out).toContain('Needs attention: last reconciliation.');
  });

  it('redrive: nothing to resend for an endpoint without failed deliveries', async () => {
    const result = await run(['redrive', '--endpoint', 'we_01J00000000000000000000000', ...stack.flags]);
    expect(result.code).toBe(0);
    expect(result.out).toContain('has no failed deliveries');
  });

  it('reconcile: hands its arguments to npm run reconcile', async () => {
    const result = await run(['reconcile', '--bogus']);
    expect(result.code).toBe(2);
    expect(result.err).toContain('Usage: npm run reconcile');
  });
});
