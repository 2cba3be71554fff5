import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { onFirstInvocation } from '../shared/first-invocation.js';
import { publishBatch, type PublisherDeps } from './publisher.js';
import { defaultDeliveryQueue, defaultDeliveryStore, defaultEndpointStore, defaultOutboxStore } from './stores.js';

export const depsFromEnvironment = (): PublisherDeps => ({
  deliveries: defaultDeliveryStore(),
  endpoints: defaultEndpointStore(),
  queue: defaultDeliveryQueue(),
  outbox: defaultOutboxStore(),
  now: Date.now,
});

/** The webhookPublisher function: the events table's stream in, one SQS message per delivery out, the event marked published. */
export const createPublisherHandler =
  (deps: PublisherDeps) =>
  (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> =>
    publishBatch(deps, event);

export const handler = onFirstInvocation(() => createPublisherHandler(depsFromEnvironment()));
