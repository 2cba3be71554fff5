import { type AtomicCommit, type CommittableResponse, withAtomicCommit } from '@retrysafe/idempotency';
import { ProblemError } from '../http/problem.js';
import type { HttpResponse } from '../http/types.js';
import { assertMarshallable } from '../shared/dynamodb.js';
import { createLogger } from '../shared/logger.js';

/**
 * What a payments command comes to, decided without I/O from what was read and what the
 * processor said: an answer alone, when nothing happened that must be recorded, or an answer
 * together with every write that makes it true. Deciding apart from doing lets each money
 * movement be checked item by item without DynamoDB, and leaves a flow's I/O in plain sight.
 */
export type Decision =
  | { readonly kind: 'answer'; readonly response: HttpResponse }
  | { readonly kind: 'commit'; readonly response: HttpResponse; readonly commit: AtomicCommit };

export const answer = (response: HttpResponse): Decision => ({ kind: 'answer', response });

/**
 * Refuses, with a 400, a request whose writes could not be sent. Run on the decision the request
 * would come to if the processor accepted it, before the processor is called: a value DynamoDB
 * cannot hold would otherwise fail the commit after the money moved, on every retry.
 */
export const assertWritable = (decision: Decision): void => {
  if (decision.kind === 'answer') return;
  try {
    assertMarshallable(decision.commit.writes);
  } catch (error) {
    throw new ProblemError('validation-error', {
      detail: `The request cannot be recorded: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
};

const logger = createLogger('payments');

/**
 * Every processor call of a payments flow, in one order: the commit the call's best outcome would
 * make is checked writable first (so nothing the processor does can be left unrecordable), then the
 * processor is called, then its outcome decided. An unavailable processor is logged: its 503 is
 * the one answer an operator may want to count.
 */
export const callProcessorThenDecide = async <Outcome extends { readonly kind: string }>(
  decide: (outcome: Outcome) => Decision,
  bestOutcome: Outcome,
  call: () => Promise<Outcome>,
): Promise<CommittableResponse> => {
  assertWritable(decide(bestOutcome));
  const outcome = await call();
  if (outcome.kind === 'unavailable') logger.warn('Processor unavailable', { outcome });
  return decidedResponse(decide(outcome));
};

/** The decision as the idempotency engine takes it: the writes commit with the key's record, or not at all. */
export const decidedResponse = (decision: Decision): CommittableResponse =>
  decision.kind === 'answer' ? decision.response : withAtomicCommit(decision.response, decision.commit);
