import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ConsumerWork, ReceivedEvent } from '../../../lambdas/webhook-consumer/index.js';
import type { Notify } from './notifier-client.js';

export interface FulfilmentDeps {
  readonly client: DynamoDBDocumentClient;
  readonly fulfilmentsTable: string;
  readonly notify: Notify;
  readonly now?: () => number;
  /** Runs between the fulfilment's write and the notifier's call: where a test makes the receiver crash. */
  readonly afterRecorded?: (event: ReceivedEvent) => Promise<void>;
}

interface SucceededCharge {
  readonly id: string;
  readonly amount: number;
  readonly currency: string;
}

const chargeOf = (event: ReceivedEvent): SucceededCharge => {
  const { id, amount, currency } = event.data.object;
  if (typeof id !== 'string' || typeof amount !== 'number' || typeof currency !== 'string')
    throw new Error(`Event ${event.id} carries no charge`);
  return { id, amount, currency };
};

/** The purpose the notifier's Idempotency-Key is derived for. */
export const notifyPurpose = 'notify';

/**
 * The receiver's work for `charge.succeeded`: record the fulfilment, then tell the notifier.
 * A run after a crash finds its own fulfilment already written and goes on to the notifier with
 * the same derived key, so neither the fulfilment nor the notification happens twice.
 */
export const fulfilCharge =
  (deps: FulfilmentDeps): ConsumerWork =>
  async (event, { webhookId, downstreamKey, logger }) => {
    if (event.type !== 'charge.succeeded') return;
    const charge = chargeOf(event);
    const notificationKey = downstreamKey(notifyPurpose);
    try {
      await deps.client.send(
        new PutCommand({
          TableName: deps.fulfilmentsTable,
          Item: {
            chargeId: charge.id,
            eventId: event.id,
            webhookId,
            amount: charge.amount,
            currency: charge.currency,
            notificationKey,
            createdAt: (deps.now ?? Date.now)(),
          },
          ConditionExpression: 'attribute_not_exists(chargeId)',
        }),
      );
      logger.info('Fulfilment recorded', { chargeId: charge.id });
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      logger.info('Fulfilment already recorded by an earlier run', { chargeId: charge.id });
    }
    await deps.afterRecorded?.(event);
    await deps.notify(notificationKey, { event_id: event.id, charge_id: charge.id, amount: charge.amount, currency: charge.currency });
    logger.info('Notifier told', { chargeId: charge.id });
  };
