import type { TableSpec } from '../../lambdas/topology.js';

/**
 * The example's tables, declared once: the CDK stack deploys them, the tests create them in
 * DynamoDB Local, and the handlers find each one's name in the environment variable below.
 * The two idempotency tables have the key and TTL attribute Retrysafe's engine writes.
 */
export const fulfilmentTables = {
  webhookReceipts: {
    partitionKey: { name: 'pk', type: 'S' },
    ttlAttribute: 'expiresAt',
    purpose: "The receiver's claims, one per webhook-id: in progress, then the answer a redelivery replays.",
  },
  fulfilments: {
    partitionKey: { name: 'chargeId', type: 'S' },
    purpose: 'One fulfilment per succeeded charge.',
  },
  notifierIdempotency: {
    partitionKey: { name: 'pk', type: 'S' },
    ttlAttribute: 'expiresAt',
    purpose: "The notifier's Idempotency-Key records.",
  },
  notifications: {
    partitionKey: { name: 'idempotencyKey', type: 'S' },
    purpose: 'One notification per Idempotency-Key the notifier acted on.',
  },
} as const satisfies Record<string, TableSpec>;

export type FulfilmentTable = keyof typeof fulfilmentTables;

export const fulfilmentTableEnvVar = (table: FulfilmentTable): string => `TABLE_${table.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

export const fulfilmentTableName = (table: FulfilmentTable): string => {
  const name = process.env[fulfilmentTableEnvVar(table)];
  if (name === undefined || name === '') throw new Error(`${fulfilmentTableEnvVar(table)} is not set`);
  return name;
};
