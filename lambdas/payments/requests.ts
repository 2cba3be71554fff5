import { z } from 'zod';
import { pageQuery } from '../http/paging.js';
import { parseId } from '../shared/ids.js';
import { amountSchema, currencySchema } from './money.js';

/**
 * Keys that name an object's own machinery: parsed into a plain object, `__proto__` vanishes
 * (while the request's fingerprint still counts it) and `constructor` stops the object being
 * stored. `retrysafe_` keys are Retrysafe's own on the processor's copy of the metadata. Checked
 * on the object as JSON.parse made it, before a record schema copies (and drops) its members.
 */
const reservedMetadataKey = /^(__proto__|constructor|prototype|retrysafe_.*)$/;

const maxMetadataKeys = 20;

const metadataRecord = z
  .record(
    z.string().min(1, { error: 'keys must not be empty' }).max(40, { error: 'keys are at most 40 characters' }),
    z.string({ error: 'values must be strings' }).max(500, { error: 'values are at most 500 characters' }),
  )
  .refine((metadata) => Object.keys(metadata).length <= maxMetadataKeys, { error: `at most ${maxMetadataKeys} keys` });

const metadataSchema = z
  .unknown()
  .superRefine((metadata, context) => {
    if (typeof metadata !== 'object' || metadata === null) return;
    for (const key of Object.keys(metadata)) {
      if (reservedMetadataKey.test(key)) {
        context.addIssue({
          code: 'custom',
          path: [key],
          message: 'keys may not be __proto__, constructor, prototype or start with retrysafe_',
        });
      }
    }
  })
  .pipe(metadataRecord)
  // The checks above run on any value, so documentation describes what passes them: the record.
  .meta({
    description: 'Your own key-value pairs, stored with the charge and shown back.',
    override: ({ jsonSchema }) => {
      const { $schema: _dialect, ...record } = z.toJSONSchema(metadataRecord, { io: 'input' });
      Object.assign(jsonSchema, record, { maxProperties: maxMetadataKeys });
    },
  });

const sourceError = 'must be a card token such as "tok_visa" or a PaymentMethod id such as "pm_card_visa"';

export const createChargeSchema = z.strictObject({
  amount: amountSchema,
  currency: currencySchema,
  source: z
    .string({ error: sourceError })
    // Tokens or Stripe PaymentMethod ids, never card numbers: what keeps Retrysafe out of PCI scope.
    .regex(/^(tok|pm)_[A-Za-z0-9_]{1,250}$/, { error: sourceError }),
  description: z.string().max(500, { error: 'must be at most 500 characters' }).optional(),
  metadata: metadataSchema.optional(),
});

export type CreateChargeRequest = z.infer<typeof createChargeSchema>;

export const createRefundSchema = z.strictObject({
  /** Defaults to what remains refundable. */
  amount: amountSchema.optional(),
});

export type CreateRefundRequest = z.infer<typeof createRefundSchema>;

export const listQuerySchema = z.strictObject(pageQuery('charge', (raw) => parseId('charge', raw)));
