import { idempotencyTableLayout } from '@retrysafe/idempotency';
import { IdempotencyTable } from '@retrysafe/idempotency/cdk';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { tables } from '../../lambdas/topology.js';

const synthesized = (build: (stack: Stack) => void): Template => {
  const stack = new Stack(new App(), 'Library');
  build(stack);
  return Template.fromStack(stack);
};

describe('the IdempotencyTable construct (@retrysafe/idempotency/cdk)', () => {
  it('makes the table the engine writes to: pk, TTL on expiresAt, on demand, no index unless asked', () => {
    let construct: IdempotencyTable | undefined;
    const template = synthesized((stack) => {
      construct = new IdempotencyTable(stack, 'Idempotency');
    });
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      BillingMode: 'PAY_PER_REQUEST',
      GlobalSecondaryIndexes: Match.absent(),
    });
    expect(construct?.recoveryIndexName).toBeUndefined();
  });

  it('adds the sparse recovery index when asked, and passes other table properties through', () => {
    let construct: IdempotencyTable | undefined;
    const template = synthesized((stack) => {
      construct = new IdempotencyTable(stack, 'Idempotency', {
        recoveryIndex: true,
        tableName: 'orders-idempotency',
        removalPolicy: RemovalPolicy.DESTROY,
      });
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'orders-idempotency',
      GlobalSecondaryIndexes: [
        {
          IndexName: 'recovery',
          KeySchema: [
            { AttributeName: 'recoveryShard', KeyType: 'HASH' },
            { AttributeName: 'recoverAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
    expect(construct?.recoveryIndexName).toBe('recovery');
  });

  it("has the layout of Retrysafe's own idempotency table (lambdas/topology.ts)", () => {
    const { partitionKey, ttlAttribute, recoveryIndex } = idempotencyTableLayout;
    expect(tables.idempotency).toMatchObject({ partitionKey, ttlAttribute, globalSecondaryIndexes: [recoveryIndex] });
    expect(tables.idempotency).not.toHaveProperty('sortKey');
  });
});
