import { redriveEndpoint } from '../lambdas/webhooks/delivery-api.js';
import { DeliveryQueue } from '../lambdas/webhooks/delivery-queue.js';
import { DeliveryStore } from '../lambdas/webhooks/delivery-store.js';
import { EndpointStore } from '../lambdas/webhooks/endpoint-store.js';
import type { WebhookEndpointId } from '../lambdas/shared/ids.js';
import type { OpsTarget } from './target.js';

/**
 * `npm run ops -- redrive --endpoint <id>`: the API's redrive, run by an operator who knows the
 * endpoint but not its account. Deliveries are kept under their endpoint and name the account,
 * so a failed one leads to the endpoint; with none failed there is nothing to resend.
 */
export const redrive = async (
  target: OpsTarget,
  endpointId: WebhookEndpointId,
  now: () => number,
): Promise<{ readonly code: 0 | 1; readonly text: string }> => {
  const deliveries = new DeliveryStore(target.client, () => target.tables.webhooks);
  const endpoints = new EndpointStore(target.client, () => target.tables.webhooks);
  const { deliveries: failed } = await deliveries.list(endpointId, { status: 'failed', limit: 1 });
  const account = failed[0]?.accountId;
  if (account === undefined) return { code: 0, text: `Endpoint ${endpointId} has no failed deliveries: nothing to redrive.` };
  const endpoint = await endpoints.get(account, endpointId);
  if (endpoint === undefined)
    return { code: 1, text: `Endpoint ${endpointId} of ${account} was deleted; its failed deliveries cannot be resent.` };
  const { webhookDeliveries } = await target.queues();
  const queue = new DeliveryQueue(target.sqs, { main: () => webhookDeliveries.url, deadLetter: () => webhookDeliveries.deadLetterUrl });
  const { count, hasMore } = await redriveEndpoint({ endpoints, deliveries, queue, now }, endpoint);
  return {
    code: 0,
    text: `Redrove ${count} failed deliver${count === 1 ? 'y' : 'ies'} of endpoint ${endpointId} (${account}).${hasMore ? ' More are left: run it again.' : ''}`,
  };
};
