import type { AccountId, WebhookEndpointId } from '../shared/ids.js';
import type { WebhookSecret } from './signing.js';

/**
 * Webhook endpoints live in the webhooks table under their account:
 *   pk ACCT#<accountId>  sk WE#<endpointId>
 * so listing an account's endpoints (the API, and the publisher matching an event) is one
 * Query, and another tenant's endpoint id simply is not in the partition.
 */
export const endpointSortKey = (id: WebhookEndpointId): string => `WE#${id}`;
export const endpointSortKeyPrefix = 'WE#';

/** An event type a merchant subscribed to, or '*' for all of them. */
export type EnabledEvent = string;

export interface SigningSecret {
  readonly secret: WebhookSecret;
  /** Epoch milliseconds; absent on the current secret, set on one replaced by a rotation. */
  readonly expiresAt?: number;
}

export type EndpointState =
  | { readonly status: 'enabled' }
  /** 'gone': the receiver answered 410, saying it no longer wants these webhooks. */
  | { readonly status: 'disabled'; readonly disabledReason: 'gone'; readonly disabledAt: number };

export type EndpointItem = EndpointState & {
  readonly pk: string;
  readonly sk: string;
  readonly id: WebhookEndpointId;
  readonly accountId: AccountId;
  readonly url: string;
  readonly enabledEvents: readonly EnabledEvent[];
  /** Newest first; the dispatcher signs with every one that has not expired. */
  readonly secrets: readonly SigningSecret[];
  /** Bumped by every change a read-modify-write could lose (rotation), and checked by it. */
  readonly version: number;
  /** Epoch seconds. */
  readonly created: number;
};

/** How long a replaced secret keeps signing, so receivers can switch without missing a webhook. */
export const previousSecretValidityMs = 24 * 3600 * 1000;

export const validSecrets = (endpoint: Pick<EndpointItem, 'secrets'>, nowMs: number): WebhookSecret[] =>
  endpoint.secrets.filter((s) => s.expiresAt === undefined || s.expiresAt > nowMs).map((s) => s.secret);

export const subscribesTo = (endpoint: Pick<EndpointItem, 'enabledEvents'>, eventType: string): boolean =>
  endpoint.enabledEvents.includes('*') || endpoint.enabledEvents.includes(eventType);

/** The secrets after a rotation: the new one current, the previous current one expiring in 24 h. */
export const rotatedSecrets = (secrets: readonly SigningSecret[], fresh: WebhookSecret, nowMs: number): SigningSecret[] => [
  { secret: fresh },
  ...secrets
    .filter((s) => s.expiresAt === undefined || s.expiresAt > nowMs)
    .map((s) => ({ secret: s.secret, expiresAt: Math.min(s.expiresAt ?? Number.POSITIVE_INFINITY, nowMs + previousSecretValidityMs) })),
];
