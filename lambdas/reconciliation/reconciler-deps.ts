import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { accountExists } from '../auth/api-keys.js';
import { PaymentsStore } from '../payments/payments-store.js';
import type { CardProcessor } from '../payments/processor-client/card-processor.js';
import { idempotencyEngineFor } from '../shared/idempotency-engine.js';
import { functions } from '../topology.js';
import type { ReconcilerDeps } from './reconciler.js';
import { WatermarkStore } from './watermarks.js';

/** The tables the reconciler works with: its topology entry's, no more. */
export type ReconcilerTable = keyof (typeof functions)['reconciler']['tables'];

export const reconcilerTables = Object.keys(functions.reconciler.tables) as ReconcilerTable[];

/** Where a reconciliation reads and writes: the function's environment, or `npm run reconcile`'s flags. */
export interface ReconcilerWiring {
  readonly client: DynamoDBDocumentClient;
  /** Physical table names. */
  readonly tables: Readonly<Record<ReconcilerTable, string>>;
  readonly processor: CardProcessor;
  readonly stuckAfterMs: number;
  readonly now: () => number;
}

export const reconcilerDeps = ({ client, tables, processor, stuckAfterMs, now }: ReconcilerWiring): ReconcilerDeps => {
  const { payments, ledger, events } = tables;
  return {
    processor,
    store: new PaymentsStore(client, { payments, ledger, events }),
    recoveryPoints: idempotencyEngineFor('reconciler', { client, tableName: tables.idempotency, now }),
    accountExists: (account) => accountExists(client, tables.apiKeys, account),
    watermarks: new WatermarkStore(client, tables.reconciliation),
    now,
    stuckAfterMs,
  };
};
