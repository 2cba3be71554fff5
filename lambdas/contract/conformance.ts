import type { z } from 'zod';
import type { RetrysafeEvent } from '../events/outbox.js';
import type { Balance } from '../payments/balance.js';
import type { Charge, Refund } from '../payments/records.js';
import type { WebhookDeliveryView, WebhookEndpointView } from '../webhooks/views.js';
import type { balanceSchema, chargeSchema, deliverySchema, eventSchema, refundSchema, webhookEndpointSchema } from './resources.js';

/** Code may hand out read-only arrays and objects; JSON does not tell them apart. */
type Immutable<T> = T extends readonly (infer Item)[]
  ? readonly Immutable<Item>[]
  : T extends object
    ? { readonly [K in keyof T]: Immutable<T[K]> }
    : T;

/**
 * Compile-time only: the types the handlers build their answers with must fit the contract's
 * schemas, member for member, so neither can change without the other. A type fits when every
 * value of it is valid for the schema and it has no member the schema does not document.
 */
type Fits<Code, Contract> = [Code] extends [Immutable<Contract>]
  ? [Exclude<keyof Code, keyof Contract>] extends [never]
    ? true
    : never
  : never;

export type Conformance = [
  Fits<Charge, z.output<typeof chargeSchema>>,
  Fits<Refund, z.output<typeof refundSchema>>,
  Fits<Balance, z.output<typeof balanceSchema>>,
  Fits<WebhookEndpointView, z.output<typeof webhookEndpointSchema>>,
  Fits<WebhookDeliveryView, z.output<typeof deliverySchema>>,
  Fits<
    Pick<RetrysafeEvent, 'id' | 'object' | 'type' | 'created'>,
    Pick<z.output<typeof eventSchema>, 'id' | 'object' | 'type' | 'created'>
  >,
];

/** Fails to compile when any entry above is `never`. */
export const conforms: Conformance = [true, true, true, true, true, true];
