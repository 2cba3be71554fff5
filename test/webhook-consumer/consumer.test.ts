import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { type IdempotencyKey, recordId } from '@retrysafe/idempotency';
import { dynamo } from '../../lambdas/shared/dynamodb.js';
import {
  type ConsumerWork,
  defaultReceiptTtlSeconds,
  downstreamKeyFor,
  type ReceivedEvent,
  webhookConsumer,
  webhookLambda,
  type WorkContext,
} from '../../lambdas/webhook-consumer/index.js';
import { defaultRetrySchedule } from '../../lambdas/webhooks/retry-policy.js';
import { generateSecret } from '../../lambdas/webhooks/signing.js';
import { functionUrlEvent } from '../../local/proxy-events.js';
import { lambdaContext } from '../support/events.js';
import { chargeSucceeded, createTables, receiptsTableSpec, signedAt, type Webhook, webhookOf } from './fixtures.js';

let table: string;

beforeAll(async () => {
  ({ receipts: table } = await createTables('consumer', { receipts: receiptsTableSpec }));
});

const secret = generateSecret();

interface Recorded {
  readonly runs: { event: ReceivedEvent; context: WorkContext }[];
}

const consumerFor = (work: ConsumerWork, secrets: string | readonly string[] = secret, now?: () => number) =>
  webhookConsumer({ secrets, work, idempotency: { tableName: table, functionTimeoutMs: 10_000 }, ...(now ? { now } : {}) });

const recordingWork = (): Recorded & { work: ConsumerWork } => {
  const runs: Recorded['runs'] = [];
  return { runs, work: async (event, context) => void runs.push({ event, context }) };
};

const newWebhook = (): Webhook => webhookOf(chargeSucceeded(`ch_${Math.random().toString(36).slice(2)}`));

const claimOf = async (webhook: Webhook) =>
  (
    await dynamo().send(
      new GetCommand({ TableName: table, Key: { pk: recordId(undefined, webhook.id as IdempotencyKey) }, ConsistentRead: true }),
    )
  ).Item;

describe('the webhook consumer', () => {
  it('runs the work once for a verified webhook and replays its answer to a redelivery', async () => {
    const { runs, work } = recordingWork();
    const receive = consumerFor(work);
    const webhook = newWebhook();
    const first = await receive({ headers: signedAt(webhook, [secret], Date.now()), body: webhook.body });
    const again = await receive({ headers: signedAt(webhook, [secret], Date.now()), body: webhook.body });

    expect(first.statusCode).toBe(200);
    expect(again.statusCode).toBe(200);
    expect(again.body).toBe(first.body);
    expect(again.headers['Idempotent-Replayed']).toBe('true');
    expect(runs.map((run) => run.event)).toEqual([webhook.event]);
  });

  it('gives the work keys derived from the event and a log context with its trail', async () => {
    const { runs, work } = recordingWork();
    const webhook = newWebhook();
    await consumerFor(work)({ headers: signedAt(webhook, [secret], Date.now()), body: webhook.body });

    const context = runs[0]?.context;
    expect(context?.downstreamKey('notify')).toBe(downstreamKeyFor(webhook.event.id, 'notify'));
    expect(context?.downstreamKey('notify')).toBe(`${webhook.event.id}:notify`);
    expect(context?.downstreamKey('ship')).not.toBe(context?.downstreamKey('notify'));
    expect(context?.logContext).toEqual({
      webhookId: webhook.id,
      eventId: webhook.event.id,
      eventType: 'charge.succeeded',
      causedByRequestId: webhook.event.request.id,
      causedByIdempotencyKeySha256: webhook.event.request.idempotency_key_sha256,
    });
    expect(() => context?.downstreamKey('not a purpose')).toThrow();
  });

  it("remembers a webhook-id past Retrysafe's whole retry round", async () => {
    const { work } = recordingWork();
    const webhook = newWebhook();
    const nowMs = Date.now();
    await consumerFor(work, secret, () => nowMs)({ headers: signedAt(webhook, [secret], nowMs), body: webhook.body });
    const retryRoundSeconds = defaultRetrySchedule.reduce((sum, seconds) => sum + seconds, 0);

    expect(defaultReceiptTtlSeconds).toBeGreaterThan(retryRoundSeconds);
    expect(await claimOf(webhook)).toMatchObject({ expiresAt: Math.floor(nowMs / 1000) + defaultReceiptTtlSeconds });
  });

  it('answers 401 to a bad signature and claims nothing', async () => {
    const { runs, work } = recordingWork();
    const webhook = newWebhook();
    const headers = signedAt(webhook, [generateSecret()], Date.now());
    const tampered = { ...signedAt(webhook, [secret], Date.now()) };
    const answers = await Promise.all([
      consumerFor(work)({ headers, body: webhook.body }),
      consumerFor(work)({ headers: tampered, body: webhook.body.replace('1000', '9000') }),
      consumerFor(work)({ headers: { 'webhook-id': webhook.id }, body: webhook.body }),
    ]);

    expect(answers.map((answer) => answer.statusCode)).toEqual([401, 401, 401]);
    expect(answers[0].headers['Content-Type']).toBe('application/problem+json');
    expect(runs).toEqual([]);
    expect(await claimOf(webhook)).toBeUndefined();
  });

  it('refuses a timestamp outside the five-minute tolerance, either way', async () => {
    const { runs, work } = recordingWork();
    const webhook = newWebhook();
    const sixMinutes = 6 * 60 * 1000;
    const old = await consumerFor(work)({ headers: signedAt(webhook, [secret], Date.now() - sixMinutes), body: webhook.body });
    const future = await consumerFor(work)({ headers: signedAt(webhook, [secret], Date.now() + sixMinutes), body: webhook.body });
    const edge = await consumerFor(work)({ headers: signedAt(webhook, [secret], Date.now() - 4 * 60 * 1000), body: webhook.body });

    expect([old.statusCode, future.statusCode, edge.statusCode]).toEqual([401, 401, 200]);
    expect(old.body).toContain('timestamp-too-old');
    expect(future.body).toContain('timestamp-too-new');
    expect(runs).toHaveLength(1);
  });

  it("verifies through either side's rotation: several secrets held, several signatures sent", async () => {
    const { runs, work } = recordingWork();
    const [old, current, stranger] = [generateSecret(), generateSecret(), generateSecret()];
    const rotatingReceiver = consumerFor(work, [old, current]);
    const [byOld, byCurrent, byStranger, byBoth] = [newWebhook(), newWebhook(), newWebhook(), newWebhook()];

    const answers = await Promise.all([
      rotatingReceiver({ headers: signedAt(byOld, [old], Date.now()), body: byOld.body }),
      rotatingReceiver({ headers: signedAt(byCurrent, [current], Date.now()), body: byCurrent.body }),
      rotatingReceiver({ headers: signedAt(byStranger, [stranger], Date.now()), body: byStranger.body }),
      // Retrysafe's own rotation (rotate_secret): both signatures, and a receiver with only the new secret.
      consumerFor(work, current)({ headers: signedAt(byBoth, [old, current], Date.now()), body: byBoth.body }),
    ]);

    expect(answers.map((answer) => answer.statusCode)).toEqual([200, 200, 401, 200]);
    expect(runs.map((run) => run.event.id).sort()).toEqual([byOld.event.id, byCurrent.event.id, byBoth.event.id].sort());
  });

  it('answers 500 without claiming when no configured secret is valid', async () => {
    const { runs, work } = recordingWork();
    const webhook = newWebhook();
    const answer = await consumerFor(work, [secret, 'whsec_%%%'])({ headers: signedAt(webhook, [secret], Date.now()), body: webhook.body });
    expect(answer.statusCode).toBe(500);
    expect(runs).toEqual([]);
    expect(await claimOf(webhook)).toBeUndefined();
  });

  it('answers 400 to a signed body that is not an event, claiming nothing', async () => {
    const { runs, work } = recordingWork();
    const webhook = { ...newWebhook(), body: '{"hello":"world"}' };
    const answer = await consumerFor(work)({ headers: signedAt(webhook, [secret], Date.now()), body: webhook.body });
    expect(answer.statusCode).toBe(400);
    expect(runs).toEqual([]);
    expect(await claimOf(webhook)).toBeUndefined();
  });

  it('runs the work once for concurrent duplicates; the others are told to come back', async () => {
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let runs = 0;
    const receive = consumerFor(async () => {
      runs++;
      await gate;
    });
    const webhook = newWebhook();
    const answered: number[] = [];
    const deliveries = Array.from({ length: 5 }, async () => {
      const answer = await receive({ headers: signedAt(webhook, [secret], Date.now()), body: webhook.body });
      answered.push(answer.statusCode);
      return answer;
    });
    // Four are answered while the fifth still holds the claim inside its work.
    await expect.poll(() => answered.length).toBe(4);
    expect(runs).toBe(1);
    release();
    const answers = await Promise.all(deliveries);

    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([200, 503, 503, 503, 503]);
    const refused = answers.filter((answer) => answer.statusCode === 503);
    expect(refused.every((answer) => Number(answer.headers['Retry-After']) >= 1)).toBe(true);
    const later = await receive({ headers: signedAt(webhook, [secret], Date.now()), body: webhook.body });
    expect(later.statusCode).toBe(200);
    expect(runs).toBe(1);
  });

  it('releases the claim when the work fails, so a redelivery runs it again', async () => {
    const attempts: string[] = [];
    const receive = consumerFor(async (event) => {
      attempts.push(event.id);
      if (attempts.length === 1) throw new Error('the warehouse is down');
    });
    const webhook = newWebhook();
    const failed = await receive({ headers: signedAt(webhook, [secret], Date.now()), body: webhook.body });
    expect(failed.statusCode).toBe(500);
    expect(await claimOf(webhook)).toBeUndefined();

    const retried = await receive({ headers: signedAt(webhook, [secret], Date.now()), body: webhook.body });
    expect(retried.statusCode).toBe(200);
    expect(attempts).toEqual([webhook.event.id, webhook.event.id]);
    expect(await claimOf(webhook)).toMatchObject({ status: 'COMPLETED' });
  });

  it('takes over the claim of a delivery that died once its lease is over', async () => {
    let nowMs = Date.now();
    const runs: string[] = [];
    const receive = consumerFor(
      async (event) => {
        runs.push(event.id);
        if (runs.length === 1) await new Promise<never>(() => undefined);
      },
      secret,
      () => nowMs,
    );
    const webhook = newWebhook();
    void receive({ headers: signedAt(webhook, [secret], nowMs), body: webhook.body, remainingMs: 5_000 });
    await expect.poll(() => runs.length).toBe(1);
    const whileLeased = await receive({ headers: signedAt(webhook, [secret], nowMs), body: webhook.body });
    nowMs += 60_000;
    const afterLease = await receive({ headers: signedAt(webhook, [secret], nowMs), body: webhook.body });

    expect([whileLeased.statusCode, afterLease.statusCode]).toEqual([503, 200]);
    expect(runs).toEqual([webhook.event.id, webhook.event.id]);
  });

  it('serves API Gateway through the Lambda adapter, base64 bodies included', async () => {
    const { runs, work } = recordingWork();
    const handler = webhookLambda(consumerFor(work));
    const webhook = newWebhook();
    const event = functionUrlEvent({
      method: 'POST',
      path: '/webhooks',
      headers: signedAt(webhook, [secret], Date.now()),
      body: Buffer.from(webhook.body).toString('base64'),
      isBase64Encoded: true,
    });
    const answer = await handler(event, lambdaContext());
    expect(answer.statusCode).toBe(200);
    expect(runs.map((run) => run.event)).toEqual([webhook.event]);
  });
});
