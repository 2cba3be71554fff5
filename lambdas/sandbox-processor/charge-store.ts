import type { TransactItem } from '../shared/dynamodb.js';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ProcessorCharge } from './charge.js';
import { dynamoListing, type Listing } from './listing.js';
import { chargeKind } from './processor-table.js';

export interface ChargeStore extends Listing<ProcessorCharge> {
  /**
   * Adds `amount` to the charge's amount_refunded, on condition that it stays within the charge:
   * committed with the refund's key record, so concurrent refunds can never return more than
   * was charged. A rejection carries the charge as it stood.
   */
  refundWrite(charge: ProcessorCharge, amount: number): TransactItem;
}

export const dynamoChargeStore = (client: DynamoDBDocumentClient, table: () => string): ChargeStore => ({
  ...dynamoListing<ProcessorCharge>(client, table, chargeKind),

  // DynamoDB conditions cannot add, so the bound is precomputed from the amount, which never changes.
  refundWrite: (charge, amount) => ({
    Update: {
      TableName: table(),
      Key: { pk: chargeKind.partition, sk: charge.id },
      UpdateExpression: 'SET #charge.amount_refunded = #charge.amount_refunded + :amount',
      ConditionExpression: '#charge.amount_refunded <= :mostBefore',
      ExpressionAttributeNames: { '#charge': chargeKind.attribute },
      ExpressionAttributeValues: { ':amount': amount, ':mostBefore': charge.amount - amount },
    },
  }),
});
