import { type RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AttributeType,
  Billing,
  BillingMode,
  type ITable,
  MultiRegionConsistency,
  ProjectionType,
  StreamViewType,
  Table,
  TableV2,
  type Attribute,
} from 'aws-cdk-lib/aws-dynamodb';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  tableDeployed,
  tables,
  type IndexSpec,
  type KeyAttribute,
  type RetrysafeTableSpec,
  type TableName,
  type TableSpec,
} from '../lambdas/topology.js';
import type { ProcessorKind } from '../lambdas/settings.js';
import type { RegionPlan } from './config.js';
import { deployed } from './deployed.js';
import { kebabCase, pascalCase } from './names.js';
import { replicaStreamArn } from './replica-stream.js';

export interface DataTablesProps {
  readonly removalPolicy: RemovalPolicy;
  readonly deletionProtection: boolean;
  /** Tables only one processor needs (the sandbox's own) exist only with it. */
  readonly processor: ProcessorKind;
  /** One region, or several: then the replicated tables are global tables, which the first region's stack owns. */
  readonly regions: RegionPlan;
  /** Retention of the log group of the lookup that finds a replica's stream. */
  readonly logRetention: RetentionDays;
}

type MultiRegionPlan = Extract<RegionPlan, { kind: 'multi' }>;

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

/** Both Table and TableV2 take an index in this shape. */
const indexProps = (index: IndexSpec) => ({
  indexName: index.indexName,
  partitionKey: attribute(index.partitionKey),
  ...(index.sortKey === undefined ? {} : { sortKey: attribute(index.sortKey) }),
  projectionType: projections[index.projection ?? 'ALL'],
});

/**
 * A global table's name, the same in every region: the other regions' stacks find their replica
 * by it, as no CloudFormation reference crosses regions.
 */
export const globalTableName = (name: TableName): string => `retrysafe-${kebabCase(name)}`;

/**
 * One DynamoDB table per topology table deployed with this processor and this many regions.
 * On-demand billing because traffic is spiky and small; point-in-time recovery because the
 * ledger and payments are the system of record.
 *
 * One region: a table each, named by CloudFormation so two stacks (or a stack and its
 * replacement) never collide. Several: 'regional' tables stay so, in every region's stack;
 * 'strong' and 'eventual' ones are global tables the first region's stack creates, with a
 * replica in each other region, and the other stacks import by name.
 */
export class DataTables extends Construct {
  readonly byName: Readonly<Partial<Record<TableName, ITable>>>;

  constructor(scope: Construct, id: string, props: DataTablesProps) {
    super(scope, id);
    const { regions } = props;
    const deployment = { processor: props.processor, multiRegion: regions.kind === 'multi' };
    const entries = (Object.entries(tables) as [TableName, RetrysafeTableSpec][])
      .filter(([, spec]) => tableDeployed(spec, deployment))
      .map(([name, spec]) => {
        if (regions.kind === 'single' || spec.replication === 'regional') return [name, this.regionalTable(name, spec, props)] as const;
        return [name, this.globalTable(name, spec, regions, props)] as const;
      });
    this.byName = Object.fromEntries(entries);
  }

  named(name: TableName): ITable {
    return deployed(this.byName, name);
  }

  private regionalTable(name: TableName, spec: TableSpec, props: DataTablesProps): Table {
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
    for (const index of spec.globalSecondaryIndexes ?? []) table.addGlobalSecondaryIndex(indexProps(index));
    return table;
  }

  private globalTable(name: TableName, spec: RetrysafeTableSpec, plan: MultiRegionPlan, props: DataTablesProps): ITable {
    const [home, ...others] = plan.regions;
    if (Stack.of(this).region !== home) return this.replicaOf(name, spec, props);
    const strong = spec.replication === 'strong';
    return new TableV2(this, pascalCase(name), {
      tableName: globalTableName(name),
      partitionKey: attribute(spec.partitionKey),
      ...(spec.sortKey === undefined ? {} : { sortKey: attribute(spec.sortKey) }),
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      ...(spec.ttlAttribute === undefined ? {} : { timeToLiveAttribute: spec.ttlAttribute }),
      ...(spec.stream === undefined ? {} : { dynamoStream: streamViews[spec.stream] }),
      globalSecondaryIndexes: spec.globalSecondaryIndexes?.map(indexProps),
      replicas: others.map((region) => ({ region })),
      // A witness holds MRSC's quorum vote without a replica; MREC has no such thing.
      ...(strong ? { multiRegionConsistency: MultiRegionConsistency.STRONG, witnessRegion: plan.witness } : {}),
      removalPolicy: props.removalPolicy,
      deletionProtection: props.deletionProtection,
    });
  }

  /** This region's replica of a global table the first region's stack created (this stack depends on that one). */
  private replicaOf(name: TableName, spec: TableSpec, props: DataTablesProps): ITable {
    const tableName = globalTableName(name);
    const id = pascalCase(name);
    if (spec.stream === undefined) return TableV2.fromTableName(this, id, tableName);
    const tableArn = Stack.of(this).formatArn({ service: 'dynamodb', resource: 'table', resourceName: tableName });
    return TableV2.fromTableAttributes(this, id, {
      tableArn,
      tableStreamArn: replicaStreamArn(this, `${id}Stream`, {
        tableName,
        tableArn,
        logRetention: props.logRetention,
        removalPolicy: props.removalPolicy,
      }),
    });
  }
}
