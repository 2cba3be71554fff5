import { z } from 'zod';
import { eventTypes, type EventType } from '../events/outbox.js';
import { supportedCurrencies } from '../payments/money.js';
import { idPattern, idPrefixes } from '../shared/ids.js';
import { deliveryIdPattern } from '../webhooks/delivery-id.js';
import { deliveryStatuses, failureReasons } from '../webhooks/delivery-record.js';

/**
 * The objects the API answers with, as zod schemas that only describe (nothing parses a response):
 * the contract (document.ts) renders them, lambdas/contract/conformance.ts holds the code's own
 * types to them, and the contract tests validate every answer the integration tests receive.
 */

const epochSeconds = z.number().int().min(0).meta({ description: 'Epoch seconds.' });

const id = (kind: keyof typeof idPrefixes) =>
  z
    .string()
    .regex(idPattern(kind))
    .meta({ examples: [`${idPrefixes[kind]}_01J9Z8Q3X4N5V6W7Y8Z9A0B1C2`] });

const currency = z.enum(supportedCurrencies).meta({ id: 'Currency', description: 'Lowercase ISO 4217 code.' });

const amount = z
  .number()
  .int()
  .meta({ description: "An amount in the currency's minor unit (cents; the unit itself for zero-decimal currencies)." });

export const chargeSchema = z
  .object({
    id: id('charge'),
    object: z.literal('charge'),
    amount,
    amount_refunded: amount,
    currency,
    status: z.enum(['succeeded', 'failed']),
    source: z.string().meta({ description: 'The card token charged.' }),
    description: z.string().nullable(),
    metadata: z.record(z.string(), z.string()),
    created: epochSeconds,
    processor_charge_id: z.string(),
    failure_code: z.string().nullable().meta({ description: "The processor's decline code, for failed charges." }),
  })
  .meta({ id: 'Charge', description: 'A charge: money taken from a card once, however many times its request was retried.' });

export const refundSchema = z
  .object({
    id: id('refund'),
    object: z.literal('refund'),
    charge: id('charge'),
    amount,
    currency,
    status: z.literal('succeeded'),
    created: epochSeconds,
    processor_refund_id: z.string(),
  })
  .meta({ id: 'Refund', description: 'A refund of part or all of a succeeded charge.' });

export const balanceSchema = z
  .object({
    object: z.literal('balance'),
    available: z
      .array(z.object({ currency, amount }))
      .meta({ description: 'One entry per currency the account holds, in currency order.' }),
  })
  .meta({ id: 'Balance' });

/** The object each event type carries in `data.object`; the map's type makes a new event type declare one. */
const eventObjects = {
  'charge.succeeded': chargeSchema,
  'charge.failed': chargeSchema,
  'charge.refunded': refundSchema,
} as const satisfies Record<EventType, z.ZodType>;

const eventRequest = z
  .object({
    id: z.string().nullable().meta({ description: 'The API request id of the request that caused the event.' }),
    idempotency_key_sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .nullable()
      .meta({ description: "Lowercase hex SHA-256 of that request's Idempotency-Key." }),
  })
  .meta({
    id: 'EventRequest',
    description: 'The request that caused the event; both null when no request did (the reconciler found the change at the processor).',
  });

const eventOf = <T extends EventType>(type: T) =>
  z
    .object({
      id: id('event'),
      object: z.literal('event'),
      type: z.literal(type),
      created: epochSeconds,
      data: z.object({ object: eventObjects[type] }),
      request: eventRequest,
    })
    .meta({ id: eventSchemaId(type), description: `The ${type} event, in GET /v1/events and as the body of its webhook.` });

/** `charge.succeeded` → `ChargeSucceededEvent`. */
export const eventSchemaId = (type: EventType): string =>
  `${type
    .split('.')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('')}Event`;

export const eventSchemas = Object.fromEntries(eventTypes.map((type) => [type, eventOf(type)])) as {
  readonly [T in EventType]: ReturnType<typeof eventOf<T>>;
};

const [firstEvent, ...otherEvents] = eventTypes.map((type) => eventSchemas[type]);
if (firstEvent === undefined) throw new Error('outbox.ts declares no event type');

export const eventSchema = z.discriminatedUnion('type', [firstEvent, ...otherEvents]).meta({
  id: 'Event',
  description: 'Something that happened on the account, newest first in GET /v1/events and sent to webhook endpoints.',
});

export const webhookEndpointSchema = z
  .object({
    id: id('webhookEndpoint'),
    object: z.literal('webhook_endpoint'),
    url: z.string(),
    enabled_events: z.array(z.string()).meta({ description: `Any of ${eventTypes.join(', ')}, or ["*"] for every type.` }),
    status: z.enum(['enabled', 'disabled']),
    disabled_reason: z.literal('gone').nullable().meta({ description: "'gone' when a 410 from the receiver disabled it." }),
    created: epochSeconds,
  })
  .meta({
    id: 'WebhookEndpoint',
    description: 'A URL that receives signed webhooks. Its signing secret is shown only on create and rotate.',
  });

const secret = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/)
  .meta({ description: 'The Standard Webhooks signing secret: shown in this answer only, never again (not in a replay either).' });

export const createdWebhookEndpointSchema = webhookEndpointSchema.extend({ secret: secret.optional() }).meta({
  id: 'CreatedWebhookEndpoint',
  description: 'The new endpoint with its signing secret; a replay of the request answers without the secret.',
});

export const rotatedWebhookEndpointSchema = webhookEndpointSchema
  .extend({
    secret: secret.optional(),
    previous_secret_expires_at: epochSeconds
      .nullable()
      .meta({ description: 'When the previous secret stops signing (it signs alongside the new one until then).' }),
  })
  .meta({
    id: 'RotatedWebhookEndpoint',
    description: 'The endpoint with its new signing secret; a replay of the request answers without the secret.',
  });

export const deletedWebhookEndpointSchema = z
  .object({ id: id('webhookEndpoint'), object: z.literal('webhook_endpoint'), deleted: z.literal(true) })
  .meta({ id: 'DeletedWebhookEndpoint' });

const attemptSchema = z
  .object({
    number: z.number().int().min(1).meta({ description: "1-based across the delivery's whole life, redrives included." }),
    attempted_at: epochSeconds,
    http_status: z.number().int().nullable().meta({ description: "The receiver's status code; null when no answer arrived." }),
    error: z.string().nullable().meta({ description: 'Why no answer arrived (timeout, connection refused, …).' }),
    duration_ms: z.number().int().min(0),
  })
  .meta({ id: 'WebhookAttempt' });

export const deliverySchema = z
  .object({
    id: z
      .string()
      .regex(deliveryIdPattern)
      .meta({ description: 'Also the webhook-id header of every attempt, so receivers deduplicate on it.' }),
    object: z.literal('webhook_delivery'),
    webhook_endpoint: id('webhookEndpoint'),
    event: z.object({ id: id('event'), type: z.string().meta({ description: 'The event type.' }) }),
    status: z.enum(deliveryStatuses),
    attempts: z.array(attemptSchema),
    next_attempt_at: epochSeconds.nullable().meta({ description: 'When the next attempt is due, while pending.' }),
    failure_reason: z.enum(failureReasons).nullable(),
    created: epochSeconds,
    delivered_at: epochSeconds.nullable(),
    failed_at: epochSeconds.nullable(),
  })
  .meta({ id: 'WebhookDelivery', description: 'One event sent to one endpoint, with every attempt.' });

export const redriveResultSchema = z
  .object({
    object: z.literal('webhook_redrive'),
    webhook_endpoint: id('webhookEndpoint'),
    count: z.number().int().min(0).meta({ description: 'Failed deliveries resent by this request.' }),
    has_more: z.boolean().meta({ description: 'More failed deliveries remain: send another redrive (with a new Idempotency-Key).' }),
  })
  .meta({ id: 'WebhookRedrive' });

export const idempotencyKeySchema = z
  .object({
    object: z.literal('idempotency_key'),
    key: z.string(),
    status: z.enum(['in_progress', 'in_recovery', 'completed']),
    created: epochSeconds,
    expires_at: epochSeconds.nullable(),
    response: z
      .object({
        status: z.number().int().meta({ description: 'The HTTP status the request was answered with.' }),
        resource: z
          .object({ object: z.enum(['charge', 'refund', 'webhook_endpoint']), id: z.string() })
          .nullable()
          .meta({ description: 'What the request created, if anything.' }),
      })
      .nullable()
      .meta({ description: 'The answer the key is bound to; present only once completed.' }),
  })
  .meta({ id: 'IdempotencyKey', description: "One of the account's Idempotency-Keys and where its request stands." });

/** A page of a list route, paged by `limit` and `starting_after` (the id of the previous page's last object). */
export const listOf = <T extends z.ZodType>(item: T, url: z.ZodType<string>, id: string) =>
  z
    .object({
      object: z.literal('list'),
      url: url.meta({ description: 'The path of this list.' }),
      data: z.array(item),
      has_more: z.boolean().meta({ description: 'More objects follow: ask again with starting_after set to the last id of data.' }),
    })
    .meta({ id });

export const healthSchema = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });
