import type { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, StreamViewType, Table, type Attribute } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { deployedWithProcessor, tables, type IndexSpec, type KeyAttribute, type TableName, type TableSpec } from '../lambdas/topology.js';
import type { ProcessorKind } from '../lambdas/settings.js';
import { deployed } from './deployed.js';
import { pascalCase } from './names.js';

export interface DataTablesProps {
  readonly removalPolicy: RemovalPolicy;
  readonly deletionProtection: boolean;
  /** Tables only one processor needs (the sandbox's own) exist only with it. */
  readonly processor: ProcessorKind;
}

const attribute = (key: KeyAttribute): Attribute => ({
  name: key.name,
  type: key.type === 'S' ? AttributeType.STRING : AttributeType.NUMBER,
});

const projections: Record<NonNullable<IndexSpec['projection']>, ProjectionType> = {
  ALL: ProjectionType.ALL,
  KEYS_ONLY: ProjectionType.KEYS_ONLY,
};

const streamViews: Record<NonNullable<TableSpec['stream']>, StreamViewType> = {
  NEW_IMAGE: StreamViewType.NEW_IMAGE,
  NEW_AND_OLD_IMAGES: StreamViewType.NEW_AND_OLD_IMAGES,
};

/**
 * One DynamoDB table per topology table, named by CloudFormation so two stacks (or a stack and
 * its replacement) never collide. On-demand billing because traffic is spiky and small;
 * point-in-time recovery because the ledger and payments are the system of record.
 */
export class DataTables extends Construct {
  readonly byName: Readonly<Partial<Record<TableName, Table>>>;

  constructor(scope: Construct, id: string, props: DataTablesProps) {
    super(scope, id);
    const deployed = (Object.entries(tables) as [TableName, TableSpec][]).filter(([, spec]) =>
      deployedWithProcessor(spec, props.processor),
    );
    const entries = deployed.map(([name, spec]) => {
      const table = new Table(this, pascalCase(name), {
        partitionKey: attribute(spec.partitionKey),
        ...(spec.sortKey === undefined ? {} : { sortKey: attribute(spec.sortKey) }),
        billingMode: BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        ...(spec.ttlAttribute === undefined ? {} : { timeToLiveAttribute: spec.ttlAttribute }),
        ...(spec.stream === undefined ? {} : { stream: streamViews[spec.stream] }),
        removalPolicy: props.removalPolicy,
        deletionProtection: props.deletionProtection,
      });
      for (const index of spec.globalSecondaryIndexes ?? []) {
        table.addGlobalSecondaryIndex({
          indexName: index.indexName,
          partitionKey: attribute(index.partitionKey),
          ...(index.sortKey === undefined ? {} : { sortKey: attribute(index.sortKey) }),
          projectionType: projections[index.projection ?? 'ALL'],
        });
      }
      return [name, table] as const;
    });
    this.byName = Object.fromEntries(entries);
  }

  named(name: TableName): Table {
    return deployed(this.byName, name);
  }
}
