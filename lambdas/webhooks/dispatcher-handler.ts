import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { onFirstInvocation } from '../shared/first-invocation.js';
import { emfRecorder } from '../shared/metric-recorder.js';
import { dispatchBatch, type DispatcherDeps } from './dispatcher.js';
import { createSender } from './http-sender.js';
import { webhookSettings } from './settings.js';
import { defaultDeliveryQueue, defaultDeliveryStore, defaultEndpointStore } from './stores.js';

export const depsFromEnvironment = (): DispatcherDeps => {
  const settings = webhookSettings();
  return {
    deliveries: defaultDeliveryStore(),
    endpoints: defaultEndpointStore(),
    queue: defaultDeliveryQueue(),
    // One sender per container, so warm invocations reuse its connections.
    sender: createSender({ allowLoopback: settings.allowLoopback, timeoutMs: settings.timeoutMs }),
    schedule: settings.schedule,
    now: Date.now,
    random: Math.random,
    metrics: emfRecorder('webhookDispatcher'),
  };
};

/** The webhookDispatcher function: one SQS message per attempt, signed POSTs out. */
export const createDispatcherHandler =
  (deps: DispatcherDeps) =>
  (event: SQSEvent): Promise<SQSBatchResponse> =>
    dispatchBatch(deps, event);

export const handler = onFirstInvocation(() => createDispatcherHandler(depsFromEnvironment()));
