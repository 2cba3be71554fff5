import type { Answered, IdempotencyEngine } from '@retrysafe/idempotency';
import { problem, problemResponse } from '../http/problem.js';
import type { HttpResponse } from '../http/types.js';
import { createdId } from './created-object.js';
import type { ObjectKind } from './processor-table.js';

/** The answer to a request that did not get its key; like Stripe, a reused key names what it already created. */
export const answerTo = <Id extends string>(engine: IdempotencyEngine, answered: Answered, kind: ObjectKind<Id>): HttpResponse => {
  const id = answered.kind === 'key-reused' && answered.original !== undefined ? createdId(answered.original, kind.ids) : undefined;
  if (id === undefined) return engine.answerFor(answered);
  return problemResponse(
    problem('idempotency-key-reused', {
      detail: `This key already created ${kind.noun} ${id} with other parameters; use a new key for a new ${kind.noun}.`,
      extensions: { [kind.noun]: id },
    }),
  );
};
