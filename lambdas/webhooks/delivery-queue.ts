import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { deadLetterQueueUrl, queueUrl } from '../shared/env.js';
import type { AccountId, EventId, WebhookEndpointId } from '../shared/ids.js';
import type { FailureReason } from './delivery-record.js';

/**
 * The message for one attempt of one delivery. It only points at the delivery record, which
 * holds the payload and the state: a message can be duplicated, delayed or moved to the DLQ and
 * back without ever disagreeing with the record about what has happened.
 */
export interface DeliveryMessage {
  readonly accountId: AccountId;
  readonly endpointId: WebhookEndpointId;
  readonly eventId: EventId;
  /** The attempt this message asks for, 1-based; see delivery-state.ts. */
  readonly attempt: number;
}

const messageSchema = z.object({
  accountId: z.string().min(1),
  endpointId: z.string().min(1),
  eventId: z.string().min(1),
  attempt: z.number().int().min(1),
});

export const parseDeliveryMessage = (body: string): DeliveryMessage | undefined => {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  const parsed = messageSchema.safeParse(json);
  return parsed.success ? (parsed.data as DeliveryMessage) : undefined;
};

/** Why a message is in the dead-letter queue: a failed delivery, or a message nobody could read. */
export type DeadLetterReason = FailureReason | 'malformed-message';

/** Read per send: a function that only enqueues (the API's redrive) need not know the DLQ. */
export interface QueueUrls {
  readonly main: () => string;
  readonly deadLetter: () => string;
}

const sendBatchSize = 10;

export const queueUrlsFromEnv: QueueUrls = {
  main: () => queueUrl('webhookDeliveries'),
  deadLetter: () => deadLetterQueueUrl('webhookDeliveries'),
};

export class DeliveryQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly urls: QueueUrls,
  ) {}

  async enqueue(message: DeliveryMessage, delaySeconds = 0): Promise<void> {
    await this.client.send(
      new SendMessageCommand({ QueueUrl: this.urls.main(), MessageBody: JSON.stringify(message), DelaySeconds: delaySeconds }),
    );
  }

  /** Sends immediately-due messages in batches; throws if any entry was not accepted. */
  async enqueueAll(messages: readonly DeliveryMessage[]): Promise<void> {
    for (let start = 0; start < messages.length; start += sendBatchSize) {
      const chunk = messages.slice(start, start + sendBatchSize);
      const result = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.urls.main(),
          Entries: chunk.map((message, index) => ({ Id: String(index), MessageBody: JSON.stringify(message) })),
        }),
      );
      const failed = result.Failed ?? [];
      if (failed.length > 0) throw new Error(`SQS refused ${failed.length} delivery messages: ${failed[0]?.Code ?? 'unknown'}`);
    }
  }

  /** Parks a message in the dead-letter queue, the reason as an attribute so the body stays replayable. */
  async deadLetter(body: string, reason: DeadLetterReason): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.urls.deadLetter(),
        MessageBody: body,
        MessageAttributes: { reason: { DataType: 'String', StringValue: reason } },
      }),
    );
  }
}
