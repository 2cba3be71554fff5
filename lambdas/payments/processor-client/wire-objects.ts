import { z } from 'zod';
import { problemTypeBase, problemTypes, type ProblemSlug } from '../../http/problem-types.js';
import type {
  ProcessorChargeId,
  ProcessorChargeSnapshot,
  ProcessorListCursor,
  ProcessorRefundId,
  ProcessorRefundSnapshot,
} from './card-processor.js';

/**
 * The sandbox processor's objects as they arrive on the wire, checked and turned into
 * Retrysafe's vocabulary. Only what a call relies on is required, so a field the processor adds
 * later breaks nothing.
 */

const chargeId = z
  .string()
  .regex(/^pch_/)
  .transform((id) => id as ProcessorChargeId);
const refundId = z
  .string()
  .regex(/^pre_/)
  .transform((id) => id as ProcessorRefundId);
const metadata = z.record(z.string(), z.string());

/** What a charge response must say: which charge, and whether it succeeded. */
export const chargeOutcomeBody = z.discriminatedUnion('status', [
  z.object({ object: z.literal('processor_charge'), id: chargeId, status: z.literal('succeeded') }),
  z.object({ object: z.literal('processor_charge'), id: chargeId, status: z.literal('declined'), decline_code: z.string().min(1) }),
]);

const chargeFacts = z.object({
  amount: z.number().int(),
  currency: z.string(),
  amount_refunded: z.number().int(),
  source: z.string(),
  description: z.string().nullable(),
  metadata,
  idempotency_key: z.string(),
  created: z.number().int(),
});

export const chargeSnapshot = z.intersection(chargeOutcomeBody, chargeFacts).transform((charge): ProcessorChargeSnapshot => ({
  id: charge.id,
  amount: charge.amount,
  currency: charge.currency,
  amountRefunded: charge.amount_refunded,
  source: charge.source,
  description: charge.description,
  metadata: charge.metadata,
  idempotencyKey: charge.idempotency_key,
  createdAtMs: charge.created,
  ...(charge.status === 'succeeded' ? { status: 'succeeded' } : { status: 'declined', declineCode: charge.decline_code }),
}));

export const refundSnapshot = z
  .object({
    object: z.literal('processor_refund'),
    id: refundId,
    charge: chargeId,
    amount: z.number().int(),
    currency: z.string(),
    status: z.literal('succeeded'),
    metadata,
    idempotency_key: z.string(),
    created: z.number().int(),
  })
  .transform((refund): ProcessorRefundSnapshot => ({
    id: refund.id,
    processorChargeId: refund.charge,
    amount: refund.amount,
    currency: refund.currency,
    status: refund.status,
    metadata: refund.metadata,
    idempotencyKey: refund.idempotency_key,
    createdAtMs: refund.created,
  }));

export const listBody = <T extends z.ZodType>(item: T) =>
  z.object({
    object: z.literal('list'),
    data: z.array(item),
    has_more: z.boolean(),
    next_cursor: z
      .string()
      .transform((cursor) => cursor as ProcessorListCursor)
      .nullable(),
  });

const problemBody = z.object({
  type: z.string().optional(),
  title: z.string().optional(),
  detail: z.string().optional(),
  field: z.string().optional(),
});

export interface ReceivedProblem {
  /** The catalogue slug its `type` names, if it names one. */
  readonly slug: ProblemSlug | undefined;
  readonly detail: string;
  readonly field: string | undefined;
}

export const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
};

/** An RFC 9457 body, read as far as it is one. */
const slugOf = (type: string | undefined): ProblemSlug | undefined => {
  const slug = type?.startsWith(problemTypeBase) === true ? type.slice(problemTypeBase.length) : undefined;
  return slug !== undefined && Object.hasOwn(problemTypes, slug) ? (slug as ProblemSlug) : undefined;
};

export const problemOf = (status: number, text: string): ReceivedProblem => {
  const problem = problemBody.safeParse(parseJson(text));
  return {
    slug: slugOf(problem.success ? problem.data.type : undefined),
    detail: (problem.success ? (problem.data.detail ?? problem.data.title) : undefined) ?? `HTTP ${status}`,
    field: problem.success ? problem.data.field : undefined,
  };
};
