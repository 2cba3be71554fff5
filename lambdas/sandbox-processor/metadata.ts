import { z } from 'zod';

/** Free-form string pairs a caller attaches to a charge or refund, e.g. the account it belongs to. */
export type Metadata = Readonly<Record<string, string>>;

/** Stripe's limits, so a client written against the sandbox keeps within Stripe's. */
export const maxMetadataKeys = 50;
export const maxMetadataKeyLength = 40;
export const maxMetadataValueLength = 500;

export const metadataSchema = z
  .record(
    z.string().min(1, 'keys must not be empty').max(maxMetadataKeyLength, `keys are at most ${maxMetadataKeyLength} characters`),
    z.string('values must be strings').max(maxMetadataValueLength, `values are at most ${maxMetadataValueLength} characters`),
  )
  .refine((metadata) => Object.keys(metadata).length <= maxMetadataKeys, `at most ${maxMetadataKeys} keys`);
