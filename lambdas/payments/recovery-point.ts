import { z } from 'zod';
import type { IdempotencyKey, RecoveryPoint } from '@retrysafe/idempotency';
import type { AccountId } from '../shared/ids.js';
import { downstreamKey, type DownstreamKey } from './key-guard.js';
import { createChargeSchema, type CreateChargeRequest, createRefundSchema, type CreateRefundRequest } from './requests.js';

/**
 * What a charge or refund keeps in its key's recovery point, from the moment its key is
 * claimed: enough for the completer to ask the processor what became of the call, under the
 * same downstream key, and to commit the answer as the request itself would have.
 */
export type PaymentRecovery = (
  | { readonly kind: 'charge'; readonly request: CreateChargeRequest; readonly downstreamKey: DownstreamKey }
  | {
      readonly kind: 'refund';
      /** The charge id as the request named it; a malformed one is answered 404. */
      readonly chargeId: string;
      readonly request: CreateRefundRequest;
      readonly downstreamKey: DownstreamKey;
    }
) & {
  /** The request that claimed the key: the event the completer writes names it as its origin. */
  readonly requestId: string | null;
};

interface RecoverableRequest<TBody> {
  readonly body: TBody;
  readonly tenant: AccountId;
  readonly key: IdempotencyKey;
  readonly pathParameters: Readonly<Record<string, string | undefined>> | null;
  readonly requestId: string;
}

export const chargeRecovery = ({ body, tenant, key, requestId }: RecoverableRequest<CreateChargeRequest>): PaymentRecovery => ({
  kind: 'charge',
  request: body,
  downstreamKey: downstreamKey(tenant, key),
  requestId,
});

export const refundRecovery = ({
  body,
  tenant,
  key,
  pathParameters,
  requestId,
}: RecoverableRequest<CreateRefundRequest>): PaymentRecovery => ({
  kind: 'refund',
  chargeId: pathParameters?.id ?? '',
  request: body,
  downstreamKey: downstreamKey(tenant, key),
  requestId,
});

const downstreamKeySchema = z
  .string()
  .startsWith('retrysafe_')
  .transform((key) => key as DownstreamKey);

// Points claimed before events carried their trail have no request id: their events name none.
const requestIdSchema = z.string().nullable().default(null);

const paymentRecoverySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('charge'), request: createChargeSchema, downstreamKey: downstreamKeySchema, requestId: requestIdSchema }),
  z.object({
    kind: z.literal('refund'),
    chargeId: z.string(),
    request: createRefundSchema,
    downstreamKey: downstreamKeySchema,
    requestId: requestIdSchema,
  }),
]);

/** Reads a recovery point back, checking it is one of ours: a point written by older code fails loudly, not silently. */
export const paymentRecoveryOf = (point: RecoveryPoint): PaymentRecovery => paymentRecoverySchema.parse(point.request);
