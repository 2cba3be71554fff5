import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { onFirstInvocation } from '../shared/first-invocation.js';
import { publishBatch, type PublisherDeps } from './publisher.js';
import { defaultDeliveryQueue, defaultDeliveryStore, defaultEndpointStore } from './stores.js';

export const depsFromEnvironment = (): PublisherDeps => ({
  deliveries: defaultDeliveryStore(),
  endpoints: defaultEndpointStore(),
  queue: defaultDeliveryQueue(),
  now: Date.now,
});

/** The webhookPublisher function: the events table's stream in, one SQS message per delivery out. */
export const createPublisherHandler =
  (deps: PublisherDeps) =>
  (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> =>
    publishBatch(deps, event);

export const handler = onFirstInvocation(() => createPublisherHandler(depsFromEnvironment()));
