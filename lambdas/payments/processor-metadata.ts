import type { AccountId, ChargeId } from '../shared/ids.js';
import type { ProcessorMetadata } from './processor-client/card-processor.js';

/**
 * What Retrysafe adds to the metadata of every object it creates at the processor, so that the
 * reconciler can lead an object back to the tenant whose key guard it belongs under (and a
 * refund to its charge). Clients cannot send keys with this prefix (requests.ts), so whatever
 * else the metadata holds is the client's own.
 */
const retrysafePrefix = 'retrysafe_';
const accountKey = `${retrysafePrefix}account`;
const chargeKey = `${retrysafePrefix}charge`;
/**
 * Set by processor adapters whose processor cannot look an object up by its idempotency key
 * (Stripe prunes keys after 24 hours): the key, and the card token charged, kept with the object.
 */
const downstreamKeyKey = `${retrysafePrefix}key`;
const sourceKey = `${retrysafePrefix}source`;

export const chargeMetadata = (tenant: AccountId, clientMetadata: ProcessorMetadata | undefined): ProcessorMetadata => ({
  ...clientMetadata,
  [accountKey]: tenant,
});

export const refundMetadata = (tenant: AccountId, charge: ChargeId): ProcessorMetadata => ({ [accountKey]: tenant, [chargeKey]: charge });

/** The account an object names, unchecked: it may be nobody's. */
export const accountNamedBy = (metadata: ProcessorMetadata): string | undefined => metadata[accountKey];

/** The Retrysafe charge a refund names, unchecked. */
export const chargeNamedBy = (metadata: ProcessorMetadata): string | undefined => metadata[chargeKey];

/** The metadata with the downstream key (and, for a charge, the token charged) added. */
export const withKeyMetadata = (metadata: ProcessorMetadata | undefined, key: string, source?: string): ProcessorMetadata => ({
  ...metadata,
  [downstreamKeyKey]: key,
  ...(source === undefined ? {} : { [sourceKey]: source }),
});

/** The metadata key an adapter searches for a downstream key by. */
export const downstreamKeyMetadataKey = downstreamKeyKey;

/** The downstream key an object names, unchecked. */
export const downstreamKeyNamedBy = (metadata: ProcessorMetadata): string | undefined => metadata[downstreamKeyKey];

/** The card token a charge names, unchecked. */
export const sourceNamedBy = (metadata: ProcessorMetadata): string | undefined => metadata[sourceKey];

/** The metadata as the client sent it. */
export const clientMetadataOf = (metadata: ProcessorMetadata): ProcessorMetadata =>
  Object.fromEntries(Object.entries(metadata).filter(([key]) => !key.startsWith(retrysafePrefix)));
