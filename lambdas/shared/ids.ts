import { monotonicFactory } from 'ulidx';

/**
 * Identifiers are `prefix_` + a ULID: globally unique without coordination and lexically
 * ordered by creation time, so a DynamoDB sort key on the id lists newest-first for free.
 */
declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

export type AccountId = Brand<string, 'AccountId'>;
export type ChargeId = Brand<string, 'ChargeId'>;
export type RefundId = Brand<string, 'RefundId'>;
export type EventId = Brand<string, 'EventId'>;
export type LedgerTransactionId = Brand<string, 'LedgerTransactionId'>;
export type WebhookEndpointId = Brand<string, 'WebhookEndpointId'>;

const ulid = monotonicFactory();

export const idPrefixes = {
  charge: 'ch',
  refund: 're',
  event: 'evt',
  ledgerTransaction: 'txn',
  webhookEndpoint: 'we',
} as const;

type Prefixed = {
  charge: ChargeId;
  refund: RefundId;
  event: EventId;
  ledgerTransaction: LedgerTransactionId;
  webhookEndpoint: WebhookEndpointId;
};

export const newId = <K extends keyof typeof idPrefixes>(kind: K, now: number = Date.now()): Prefixed[K] =>
  `${idPrefixes[kind]}_${ulid(now)}` as Prefixed[K];

/** What an id of a kind looks like: its prefix, then a ULID in Crockford base32. */
export const idPattern = (kind: keyof typeof idPrefixes): RegExp => new RegExp(`^${idPrefixes[kind]}_[0-9A-HJKMNP-TV-Z]{26}$`);

const idPatterns = Object.fromEntries(Object.keys(idPrefixes).map((kind) => [kind, idPattern(kind as keyof typeof idPrefixes)])) as Record<
  keyof typeof idPrefixes,
  RegExp
>;

/** Narrows untrusted input (a path parameter, a cursor) to an id of the expected kind. */
export const parseId = <K extends keyof typeof idPrefixes>(kind: K, raw: string): Prefixed[K] | undefined =>
  idPatterns[kind].test(raw) ? (raw as Prefixed[K]) : undefined;
