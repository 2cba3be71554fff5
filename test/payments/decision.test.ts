import { describe, expect, it } from 'vitest';
import { ProblemError } from '../../lambdas/http/problem.js';
import { jsonResponse } from '../../lambdas/http/types.js';
import { answer, assertWritable } from '../../lambdas/payments/decision.js';

const commitOf = (item: Record<string, unknown>) =>
  ({
    kind: 'commit',
    response: jsonResponse(201, {}),
    commit: { writes: [{ Put: { TableName: 'payments', Item: { pk: 'ACCT#a', sk: 'CH#1', ...item } } }] },
  }) as const;

describe('assertWritable', () => {
  it('lets through a commit whose every value DynamoDB can hold, and an answer without writes', () => {
    expect(() => {
      assertWritable(commitOf({ metadata: { toString: 'x' }, amount: 1 }));
    }).not.toThrow();
    expect(() => {
      assertWritable(answer(jsonResponse(400, {})));
    }).not.toThrow();
  });

  it('refuses with a 400 a commit that could not be sent, before anything is asked of the processor', () => {
    const unstorable = commitOf({ metadata: JSON.parse('{"constructor":"x"}') as Record<string, string> });
    expect(() => {
      assertWritable(unstorable);
    }).toThrow(ProblemError);
    try {
      assertWritable(unstorable);
    } catch (error) {
      expect((error as ProblemError).problem).toMatchObject({ status: 400, slug: 'validation-error' });
      expect((error as ProblemError).problem.detail).toMatch(/cannot be recorded/);
    }
  });
});
