import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { tableEnvVar, tables } from '../../lambdas/topology.js';
import { ensureTable } from '../../local/provision.js';

/**
 * Points this worker's functions at an idempotency table of their own. The completer takes over
 * every tenant's due recovery points, and a test that moves its clock past the leases would
 * otherwise take over points that other suites' executors, sharing the global table, still hold.
 * Table names are read per request, so this works for handlers already built.
 */
export const usePrivateIdempotencyTable = async (purpose: string): Promise<string> => {
  const table = `test-idempotency-${purpose}-${randomUUID().slice(0, 8)}`;
  const admin = new DynamoDBClient({});
  await ensureTable(admin, table, tables.idempotency);
  admin.destroy();
  process.env[tableEnvVar('idempotency')] = table;
  return table;
};
