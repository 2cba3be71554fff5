import { AttributeType, BillingMode, Table, type TableProps } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { idempotencyTableLayout } from './table.js';

const attributeTypes = { S: AttributeType.STRING, N: AttributeType.NUMBER } as const;

export interface IdempotencyTableProps extends Omit<TableProps, 'partitionKey' | 'sortKey' | 'timeToLiveAttribute'> {
  /** Adds the sparse index recovery points need; pass its name to the engine as `recoveryIndex`. */
  readonly recoveryIndex?: boolean;
}

/**
 * A table for the engine's records (table.ts): on-demand billing unless told otherwise, TTL on,
 * and the recovery index when asked for. Every other Table property passes through.
 */
export class IdempotencyTable extends Construct {
  readonly table: Table;
  /** The index name to pass the engine as `recoveryIndex`, when the table has one. */
  readonly recoveryIndexName: string | undefined;

  constructor(scope: Construct, id: string, props: IdempotencyTableProps = {}) {
    super(scope, id);
    const { recoveryIndex, ...tableProps } = props;
    const { partitionKey, ttlAttribute, recoveryIndex: index } = idempotencyTableLayout;
    this.table = new Table(this, 'Table', {
      billingMode: BillingMode.PAY_PER_REQUEST,
      ...tableProps,
      partitionKey: { name: partitionKey.name, type: attributeTypes[partitionKey.type] },
      timeToLiveAttribute: ttlAttribute,
    });
    this.recoveryIndexName = recoveryIndex === true ? index.indexName : undefined;
    if (recoveryIndex === true) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey.name, type: attributeTypes[index.partitionKey.type] },
        sortKey: { name: index.sortKey.name, type: attributeTypes[index.sortKey.type] },
      });
    }
  }
}
