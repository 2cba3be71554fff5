import { problem, problemResponse } from '../http/problem.js';
import { jsonResponse, type HttpResponse } from '../http/types.js';
import type { Charge } from './records.js';

/** A succeeded charge with its Location, or the card-declined problem with the failed charge embedded. */
export const chargeResponse = (charge: Charge, successStatus: 200 | 201, headers: Record<string, string> = {}): HttpResponse =>
  charge.status === 'succeeded'
    ? jsonResponse(successStatus, charge, { Location: `/v1/charges/${charge.id}`, ...headers })
    : problemResponse(
        problem('card-declined', {
          detail: `The processor declined the charge (${charge.failure_code ?? 'declined'}).`,
          extensions: { decline_code: charge.failure_code, charge },
          headers,
        }),
      );

export const chargeNotFound = (id: string): HttpResponse =>
  problemResponse(problem('not-found', { detail: `No charge ${id} exists on this account.` }));
