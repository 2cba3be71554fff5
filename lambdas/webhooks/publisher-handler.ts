import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { publishBatch, type PublisherDeps } from './publisher.js';
import { defaultDeliveryQueue, defaultDeliveryStore, defaultEndpointStore } from './stores.js';

/** The webhookPublisher function: the events table's stream in, one SQS message per delivery out. */
export const createPublisherHandler =
  (overrides: Partial<PublisherDeps> = {}) =>
  (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> =>
    publishBatch(
      {
        deliveries: overrides.deliveries ?? defaultDeliveryStore(),
        endpoints: overrides.endpoints ?? defaultEndpointStore(),
        queue: overrides.queue ?? defaultDeliveryQueue(),
        now: overrides.now ?? Date.now,
      },
      event,
    );

export const handler = createPublisherHandler();
