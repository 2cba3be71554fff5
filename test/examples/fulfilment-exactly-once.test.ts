import { AsyncLocalStorage } from 'node:async_hooks';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fulfilCharge, notifyPurpose } from '../../examples/fulfilment/receiver/fulfil.js';
import { notifierClient } from '../../examples/fulfilment/receiver/notifier-client.js';
import { notifierHandler } from '../../examples/fulfilment/notifier/service.js';
import { fulfilmentTables } from '../../examples/fulfilment/tables.js';
import { dynamo } from '../../lambdas/shared/dynamodb.js';
import { downstreamKeyFor, webhookConsumer, webhookLambda } from '../../lambdas/webhook-consumer/index.js';
import { generateSecret } from '../../lambdas/webhooks/signing.js';
import { functionUrlEvent } from '../../local/proxy-events.js';
import { lambdaContext } from '../support/events.js';
import { chargeSucceeded, createTables, signedAt, type Webhook, webhookOf } from '../webhook-consumer/fixtures.js';
import { type NotifierFault, type NotifierServer, startNotifierServer } from './notifier-server.js';

/**
 * A → B → C end to end: Retrysafe (A) signs charge.succeeded webhooks, the fulfilment receiver
 * (B) records a fulfilment and calls the notifier (C) over HTTP. Every webhook is delivered
 * three times, concurrently and out of order; half of B's first runs crash between the
 * fulfilment's write and C's call; C loses or delays some answers after acting. What is
 * compared afterwards: charges sent = fulfilments recorded = C's actions, each under its key.
 */
const charges = Array.from({ length: 8 }, (_, i) => `ch_exactly_once_${i}`);
const webhooks: readonly Webhook[] = charges.map((charge, i) => webhookOf(chargeSucceeded(charge, 1_000 + i)));
const keyOf = (webhook: Webhook): string => downstreamKeyFor(webhook.event.id, notifyPurpose);

const crashTargets = new Set(webhooks.filter((_, i) => i % 2 === 0).map((webhook) => webhook.event.id));
const cFaults = new Map<string, NotifierFault>(
  webhooks.flatMap((webhook, i): [string, NotifierFault][] =>
    i % 4 === 1
      ? [[keyOf(webhook), 'hang-after-acting']]
      : i % 4 === 3
        ? [[keyOf(webhook), 'unavailable']]
        : i % 3 === 0
          ? [[keyOf(webhook), 'drop-after-acting']]
          : [],
  ),
);

/** The same shuffle on every run: out of order, reproducibly. */
const shuffled = <T>(items: readonly T[], seed: number): T[] => {
  const result = [...items];
  let state = seed;
  for (let i = result.length - 1; i > 0; i--) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = state % (i + 1);
    [result[i], result[j]] = [result[j] as T, result[i] as T];
  }
  return result;
};

type Outcome = number | 'crashed';

let tables: Record<keyof typeof fulfilmentTables, string>;
let notifier: NotifierServer;
let nowMs = Date.now();
const secret = generateSecret();
const crashed: string[] = [];
const workRuns: string[] = [];
/** The crash of the invocation the current async flow belongs to: it stops answering, and nothing after the crash point runs. */
const invocation = new AsyncLocalStorage<() => void>();

const scan = async (table: string): Promise<Record<string, unknown>[]> =>
  ((await dynamo().send(new ScanCommand({ TableName: table, ConsistentRead: true }))).Items ?? []) as Record<string, unknown>[];

beforeAll(async () => {
  tables = await createTables('fulfilment', fulfilmentTables);
  notifier = await startNotifierServer(
    notifierHandler({ idempotencyTable: tables.notifierIdempotency, notificationsTable: tables.notifications }),
    cFaults,
  );
});

afterAll(async () => {
  await notifier.close();
});

const receiver = () =>
  webhookLambda(
    webhookConsumer({
      secrets: [secret],
      now: () => nowMs,
      idempotency: { tableName: tables.webhookReceipts, functionTimeoutMs: 10_000 },
      work: fulfilCharge({
        client: dynamo(),
        fulfilmentsTable: tables.fulfilments,
        notify: notifierClient({ url: notifier.url, attemptTimeoutMs: 1_000, sleep: async () => undefined }),
        afterRecorded: async (event) => {
          workRuns.push(event.id);
          if (!crashTargets.has(event.id) || crashed.includes(event.id)) return;
          crashed.push(event.id);
          invocation.getStore()?.();
          await new Promise<never>(() => undefined);
        },
      }),
    }),
  );

describe('the fulfilment example, A → B → C', () => {
  it('fulfils and notifies each charge exactly once across duplicates, reordering, crashes and lost answers', async () => {
    const handler = receiver();
    const deliver = (webhook: Webhook): Promise<Outcome> =>
      new Promise((resolve, reject) => {
        invocation.run(
          () => {
            resolve('crashed');
          },
          () => {
            const event = functionUrlEvent({
              method: 'POST',
              path: '/webhooks/retrysafe',
              headers: signedAt(webhook, [secret], nowMs),
              body: webhook.body,
            });
            handler(event, lambdaContext()).then((answer) => {
              resolve(answer.statusCode);
            }, reject);
          },
        );
      });
    const outcomes = new Map<string, Outcome[]>(webhooks.map((webhook) => [webhook.id, []]));
    const deliverAll = async (batch: readonly Webhook[], seed: number) => {
      const sent = shuffled(
        batch.flatMap((webhook) => [webhook, webhook, webhook]),
        seed,
      );
      const answers = await Promise.all(sent.map(deliver));
      sent.forEach((webhook, i) => outcomes.get(webhook.id)?.push(answers[i] as Outcome));
    };
    const acknowledged = (webhook: Webhook) => outcomes.get(webhook.id)?.includes(200) === true;

    await deliverAll(webhooks, 1);
    for (let round = 2; round <= 5 && !webhooks.every(acknowledged); round++) {
      // Retrysafe's next attempt comes later; by then a crashed delivery's lease has run out.
      nowMs += 60_000;
      await deliverAll(
        webhooks.filter((webhook) => !acknowledged(webhook)),
        round,
      );
    }
    const replays = await Promise.all(webhooks.map(deliver));

    expect(webhooks.filter((webhook) => !acknowledged(webhook))).toEqual([]);
    expect(replays).toEqual(webhooks.map(() => 200));
    expect(crashed.sort()).toEqual([...crashTargets].sort());
    expect([...outcomes.values()].flat()).toContain(503);

    const fulfilments = await scan(tables.fulfilments);
    const notifications = await scan(tables.notifications);
    const byCharge = new Map(webhooks.map((webhook) => [String(webhook.event.data.object.id), webhook]));
    expect(fulfilments.map((item) => item.chargeId).sort()).toEqual([...charges].sort());
    expect(notifications.map((item) => item.charge_id).sort()).toEqual([...charges].sort());
    for (const notification of notifications) {
      const webhook = byCharge.get(String(notification.charge_id));
      expect(webhook && notification.idempotencyKey).toBe(webhook && keyOf(webhook));
      expect(notification.event_id).toBe(webhook?.event.id);
    }
    for (const fulfilment of fulfilments) {
      const webhook = byCharge.get(String(fulfilment.chargeId));
      expect(fulfilment.notificationKey).toBe(webhook && keyOf(webhook));
    }
    // Every call C received carried its event's key, the redeliveries after a crash included.
    for (const request of notifier.received) {
      const { event_id } = JSON.parse(request.body) as { event_id: string };
      expect(request.key).toBe(downstreamKeyFor(event_id, notifyPurpose));
    }
    // B's work ran once per charge, twice where its first run crashed; C's faults were absorbed by its retries.
    expect(workRuns.sort()).toEqual([...webhooks.map((webhook) => webhook.event.id), ...crashTargets].sort());
    expect(new Set(notifier.received.map((request) => request.key))).toEqual(new Set(webhooks.map(keyOf)));
    expect(notifier.received.length).toBeGreaterThan(webhooks.length);
  });
});
