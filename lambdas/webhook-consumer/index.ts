/**
 * Retrysafe's idempotent webhook consumer, as a library for receivers: verify the Standard
 * Webhooks signature, run the work once per webhook-id, hand it keys derived from the event for
 * whatever it calls next. See the README section "Receiving webhooks" and examples/fulfilment.
 */
export { defaultReceiptTtlSeconds, webhookConsumer } from './consumer.js';
export type { ConsumerWork, DeliveryLogContext, ReceiveWebhook, WebhookConsumerOptions, WebhookDelivery, WorkContext } from './consumer.js';
export { webhookLambda } from './lambda.js';
export type { ProxyEvent } from './lambda.js';
export { downstreamKeyFor } from './downstream-key.js';
export { parseEvent } from './event.js';
export type { EventTrail, ReceivedEvent } from './event.js';
