import { dynamo } from '../../../lambdas/shared/dynamodb.js';
import { webhookConsumer, webhookLambda } from '../../../lambdas/webhook-consumer/index.js';
import { fulfilmentTableName } from '../tables.js';
import { fulfilCharge } from './fulfil.js';
import { notifierClient } from './notifier-client.js';

const required = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set`);
  return value;
};

/** B: Retrysafe's `charge.succeeded` webhooks in, one fulfilment and one notification out per charge. */
export const handler = webhookLambda(
  webhookConsumer({
    // Space-separated: during a rotation of the endpoint's secret, the old and the new one.
    secrets: () => required('WEBHOOK_SECRETS').split(' '),
    idempotency: { tableName: () => fulfilmentTableName('webhookReceipts') },
    work: fulfilCharge({
      client: dynamo(),
      fulfilmentsTable: fulfilmentTableName('fulfilments'),
      notify: notifierClient({ url: required('NOTIFIER_URL') }),
    }),
  }),
);
