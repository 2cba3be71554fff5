import { type CommittableResponse, withAtomicCommit } from '@retrysafe/idempotency';
import { problem, problemResponse } from '../http/problem.js';
import { type HttpResponse, jsonResponse } from '../http/types.js';
import type { ProcessorCharge } from './charge.js';
import { answerTo } from './key-reuse.js';
import { refundKind } from './processor-table.js';
import { type ProcessorRefund, refundIds } from './refund.js';
import type { ValidRefundRequest } from './refund-request.js';
import type { SandboxDeps } from './sandbox-deps.js';
import { refundTiming } from './test-tokens.js';

/** The charge's update comes first in the commit, so a rejection at this index is the amount check. */
const chargeWriteIndex = 0;

const amountTooLarge = (charge: ProcessorCharge, amount: number): HttpResponse =>
  problemResponse(
    problem('amount-too-large', {
      detail: `Charge ${charge.id} has ${charge.amount - charge.amount_refunded} ${charge.currency} left to refund; the refund asks for ${amount}.`,
      extensions: { charge: charge.id },
    }),
  );

/** What the refund comes to, given the charge it names as read after the key was claimed. */
const refundOutcome = (
  deps: SandboxDeps,
  charge: ProcessorCharge | undefined,
  { request, idempotencyKey }: ValidRefundRequest,
): HttpResponse | CommittableResponse => {
  if (charge === undefined) {
    // `field` tells this answer apart from a 404 for a route the processor does not have.
    return problemResponse(problem('not-found', { detail: `No such charge: ${request.charge}.`, extensions: { field: 'charge' } }));
  }
  if (charge.status !== 'succeeded') {
    return problemResponse(
      problem('charge-not-refundable', {
        detail: `Charge ${charge.id} was declined; only succeeded charges can be refunded.`,
        extensions: { charge: charge.id },
      }),
    );
  }
  const created = deps.now();
  const refund: ProcessorRefund = {
    id: refundIds.next(created),
    object: 'processor_refund',
    ...request,
    currency: charge.currency,
    status: 'succeeded',
    idempotency_key: idempotencyKey,
    created,
  };
  return withAtomicCommit(jsonResponse(201, refund), {
    writes: [deps.charges.refundWrite(charge, refund.amount), deps.refunds.put(refund)],
    onRejected: ({ index, item }) => {
      if (index !== chargeWriteIndex) throw new Error(`The listing entry of new refund ${refund.id} already exists`);
      return amountTooLarge(deps.charges.objectOf(item) ?? charge, refund.amount);
    },
  });
};

/**
 * POST /refunds: one refund per Idempotency-Key, on the engine like charges, under keys of its
 * own. The refund's listing entry and the charge's amount_refunded commit with the key's record,
 * the latter conditional, so concurrent refunds can never return more than was charged: the
 * one that finds too little left is answered 400 amount-too-large, stored like every 4xx. An
 * unknown charge (404) and a declined one (400) are final answers too.
 */
export const createSandboxRefund = async (deps: SandboxDeps, valid: ValidRefundRequest, remainingMs: number): Promise<HttpResponse> => {
  const { idempotencyKey, fingerprint, request } = valid;
  const acquired = await deps.engine.acquire({ scope: refundKind.keyScope, key: idempotencyKey, fingerprint, remainingMs });
  if (acquired.kind !== 'claimed') return answerTo(deps.engine, acquired, refundKind);
  let charge: ProcessorCharge | undefined;
  try {
    charge = await deps.charges.get(request.charge);
  } catch (error) {
    await deps.engine.release(acquired.claim);
    throw error;
  }
  const response = await deps.engine.finish(acquired.claim, refundOutcome(deps, charge, valid));
  if (response.statusCode === 201 && charge !== undefined && refundTiming(charge.source) === 'after-slow-delay') {
    await deps.sleep(deps.slowResponseMs);
  }
  return response;
};
