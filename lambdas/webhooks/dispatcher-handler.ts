import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { dispatchBatch, type DispatcherDeps } from './dispatcher.js';
import { createSender, type WebhookSender } from './http-sender.js';
import { webhookSettings, type WebhookSettings } from './settings.js';
import { defaultDeliveryQueue, defaultDeliveryStore, defaultEndpointStore } from './stores.js';

const senders = new Map<string, WebhookSender>();

/** One sender per configuration, kept across invocations so warm instances reuse connections. */
const senderFor = (settings: WebhookSettings): WebhookSender => {
  const key = `${settings.allowLoopback}:${settings.timeoutMs}`;
  let sender = senders.get(key);
  if (sender === undefined) {
    sender = createSender({ allowLoopback: settings.allowLoopback, timeoutMs: settings.timeoutMs });
    senders.set(key, sender);
  }
  return sender;
};

/** The webhookDispatcher function: one SQS message per attempt, signed POSTs out. */
export const createDispatcherHandler =
  (overrides: Partial<DispatcherDeps> = {}) =>
  (event: SQSEvent): Promise<SQSBatchResponse> => {
    const settings = webhookSettings();
    return dispatchBatch(
      {
        deliveries: overrides.deliveries ?? defaultDeliveryStore(),
        endpoints: overrides.endpoints ?? defaultEndpointStore(),
        queue: overrides.queue ?? defaultDeliveryQueue(),
        sender: overrides.sender ?? senderFor(settings),
        schedule: overrides.schedule ?? settings.schedule,
        now: overrides.now ?? Date.now,
        random: overrides.random ?? Math.random,
      },
      event,
    );
  };

export const handler = createDispatcherHandler();
