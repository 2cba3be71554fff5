import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { TableSpec } from '../../lambdas/topology.js';
import type { ReceivedEvent } from '../../lambdas/webhook-consumer/index.js';
import { deliveryIdFor } from '../../lambdas/webhooks/delivery-id.js';
import { signedHeaders, type SignedHeaders, type WebhookSecret } from '../../lambdas/webhooks/signing.js';
import type { EventId, WebhookEndpointId } from '../../lambdas/shared/ids.js';
import { ensureTable } from '../../local/provision.js';

/** A Retrysafe `charge.succeeded` event as the publisher writes it, with the request trail every event carries. */
export const chargeSucceeded = (chargeId: string, amount = 1_000): ReceivedEvent => ({
  id: `evt_${randomUUID().replaceAll('-', '')}`,
  object: 'event',
  type: 'charge.succeeded',
  created: Math.floor(Date.now() / 1000),
  data: { object: { id: chargeId, object: 'charge', amount, currency: 'eur', status: 'succeeded' } },
  request: { id: `req_${randomUUID()}`, idempotency_key_sha256: randomUUID().replaceAll('-', '').padEnd(64, '0') },
});

/** One webhook as Retrysafe's dispatcher sends it to one endpoint: its webhook-id and exact body. */
export interface Webhook {
  readonly id: string;
  readonly event: ReceivedEvent;
  readonly body: string;
}

export const webhookOf = (event: ReceivedEvent, endpointId = 'we_test'): Webhook => ({
  id: deliveryIdFor(event.id as EventId, endpointId as WebhookEndpointId),
  event,
  body: JSON.stringify(event),
});

/** An attempt's headers, signed at `nowMs` with every secret the endpoint holds, as the dispatcher signs them. */
export const signedAt = (webhook: Webhook, secrets: readonly WebhookSecret[], nowMs: number): SignedHeaders =>
  signedHeaders(secrets, webhook.id, Math.floor(nowMs / 1000), webhook.body);

/** A table of this test file's own, keyed and expiring as Retrysafe's idempotency engine writes. */
export const receiptsTableSpec = {
  partitionKey: { name: 'pk', type: 'S' },
  ttlAttribute: 'expiresAt',
  purpose: 'A webhook consumer table for tests.',
} as const satisfies TableSpec;

export const createTables = async <T extends string>(prefix: string, specs: Readonly<Record<T, TableSpec>>): Promise<Record<T, string>> => {
  const run = `${prefix}-${randomUUID().slice(0, 8)}`;
  const admin = new DynamoDBClient({});
  const names = {} as Record<T, string>;
  for (const [table, spec] of Object.entries(specs) as [T, TableSpec][]) {
    names[table] = `${run}-${table}`;
    await ensureTable(admin, names[table], spec);
  }
  admin.destroy();
  return names;
};
