import { withAtomicCommit } from '@retrysafe/idempotency';
import { problem, problemResponse } from '../http/problem.js';
import { type HttpResponse, jsonResponse } from '../http/types.js';
import { chargeIds, chargeObject, type ProcessorCharge } from './charge.js';
import type { ValidChargeRequest } from './charge-request.js';
import { answerTo } from './key-reuse.js';
import { chargeKind } from './processor-table.js';
import type { SandboxDeps } from './sandbox-deps.js';

const chargeResponse = (charge: ProcessorCharge): HttpResponse => jsonResponse(charge.status === 'succeeded' ? 201 : 402, charge);

/**
 * POST /charges: one charge per Idempotency-Key. A known key replays its stored charge with the
 * status it was first answered with (201 or 402) and Idempotent-Replayed: true, at once,
 * whatever delay the first answer had; a reused key with other parameters is 422. The charge's
 * listing entry commits with the key's record, so a charge never exists without its key. A
 * replay is the answer as first given (amount_refunded 0, as Stripe replays); the listing and
 * lookups by key show the charge as it stands.
 */
export const createSandboxCharge = async (
  deps: SandboxDeps,
  { idempotencyKey, fingerprint, request, behaviour }: ValidChargeRequest,
  remainingMs: number,
): Promise<HttpResponse> => {
  const acquired = await deps.engine.acquire({ scope: chargeKind.keyScope, key: idempotencyKey, fingerprint, remainingMs });
  if (acquired.kind !== 'claimed') return answerTo(deps.engine, acquired, chargeKind);
  if (behaviour.kind === 'fail-without-charging') {
    const failed = problem('service-unavailable', {
      detail: 'The processor failed before charging; nothing was charged. Retrying with the same Idempotency-Key is safe.',
    });
    return deps.engine.finish(acquired.claim, problemResponse(failed));
  }
  const created = deps.now();
  const charge = chargeObject({ id: chargeIds.next(created), ...request, idempotency_key: idempotencyKey, created }, behaviour.outcome);
  const response = await deps.engine.finish(
    acquired.claim,
    withAtomicCommit(chargeResponse(charge), { writes: [deps.charges.put(charge)] }),
  );
  if (behaviour.response === 'after-slow-delay') await deps.sleep(deps.slowResponseMs);
  return response;
};
