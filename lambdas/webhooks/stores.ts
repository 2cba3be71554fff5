import { OutboxStore } from '../events/outbox-store.js';
import { dynamo } from '../shared/dynamodb.js';
import { tableName } from '../shared/env.js';
import { sqs } from '../shared/sqs.js';
import { DeliveryQueue, queueUrlsFromEnv } from './delivery-queue.js';
import { DeliveryStore } from './delivery-store.js';
import { EndpointStore } from './endpoint-store.js';

/** The stores and queue as deployed: table names and queue URLs from the environment, read per call. */
export const defaultDeliveryStore = (): DeliveryStore => new DeliveryStore(dynamo(), () => tableName('webhooks'));
export const defaultEndpointStore = (): EndpointStore => new EndpointStore(dynamo(), () => tableName('webhooks'));
export const defaultDeliveryQueue = (): DeliveryQueue => new DeliveryQueue(sqs(), queueUrlsFromEnv);
export const defaultOutboxStore = (): OutboxStore => new OutboxStore(dynamo(), () => tableName('events'));
