import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { TableAccess, TableSpec } from '../lambdas/topology.js';

/**
 * The DynamoDB actions behind each topology access level. Written out rather than taken from
 * Table.grant*: those add `index/*` wildcards (Retrysafe names its indexes), grant
 * dynamodb:ListStreams on `*`, and 'append' has no CDK equivalent at all.
 *
 * Scan is deliberately absent: every access path is by tenant key, and a Scan would read every
 * tenant's rows. TransactWriteItems and TransactGetItems need no action of their own; IAM checks
 * the Put/Update/Delete/ConditionCheck/Get inside them against each table.
 */
export const tableActions: Record<Exclude<TableAccess, 'stream'>, readonly string[]> = {
  read: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'],
  readwrite: [
    'dynamodb:GetItem',
    'dynamodb:BatchGetItem',
    'dynamodb:Query',
    'dynamodb:ConditionCheckItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:BatchWriteItem',
  ],
  // Append-only: a new item may be written (conditionally, so a retry never overwrites) and
  // checked inside a transaction, but nothing already written can be changed, deleted or read
  // back. The writers never need to read: the ledger and the outbox are written in the same
  // transaction as the payment change, and balances are read from the payments table.
  append: ['dynamodb:PutItem', 'dynamodb:ConditionCheckItem'],
  // Changes in place, such as the outbox's published marker or a balance shard's ADD: no reads,
  // puts or deletes. Whether the item must already exist is the writer's condition; IAM cannot say.
  update: ['dynamodb:UpdateItem'],
};

/** What the Lambda service needs on the function's role to poll a table's stream. */
export const streamActions: readonly string[] = ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'];

/**
 * The event source mapping also checks for dynamodb:ListStreams, an action with no
 * resource-level permissions: IAM only honours it on `*`. It lists stream ARNs, never data, so
 * this is the one DynamoDB statement without a specific resource.
 */
export const listStreamsAction = 'dynamodb:ListStreams';

/** Index ARNs by name, never `index/*`, so a new index is not readable until the topology says so. */
const indexArns = (table: ITable, spec: TableSpec): string[] =>
  (spec.globalSecondaryIndexes ?? []).map((index) => `${table.tableArn}/index/${index.indexName}`);

/**
 * Grants a function its access levels on one table. Levels may share actions (read and append
 * both check conditions): each action is granted once, in one statement for the table and one
 * for its indexes.
 */
export const grantTableAccess = (grantee: IGrantable, table: ITable, spec: TableSpec, accesses: readonly TableAccess[]): void => {
  if (accesses.includes('stream')) {
    if (table.tableStreamArn === undefined) throw new Error(`${table.node.path} has no stream to grant`);
    grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ actions: [...streamActions], resources: [table.tableStreamArn] }));
    grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ actions: [listStreamsAction], resources: ['*'] }));
  }
  const actions = [...new Set(accesses.flatMap((access) => (access === 'stream' ? [] : tableActions[access])))];
  if (actions.length === 0) return;
  grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ actions, resources: [table.tableArn] }));
  const indexes = indexArns(table, spec);
  if (indexes.length > 0) {
    // Indexes serve reads only; DynamoDB rejects writes addressed to an index.
    const readActions = actions.filter((action) => tableActions.read.includes(action) && action !== 'dynamodb:ConditionCheckItem');
    if (readActions.length > 0)
      grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ actions: readActions, resources: indexes }));
  }
};
