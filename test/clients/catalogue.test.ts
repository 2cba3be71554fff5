import { describe, expect, expectTypeOf, it } from 'vitest';
import { type ContractProblemSlug, type KnownProblemSlug, problemSlugs, problemTypeBase } from '../../clients/typescript/src/problems.js';
import { problemTypeBase as serverBase, problemTypes } from '../../lambdas/http/problem-types.js';

describe('the client’s problem vocabulary', () => {
  it('is the server’s catalogue', () => {
    expect([...problemSlugs].sort()).toEqual(Object.keys(problemTypes).sort());
    expect(problemTypeBase).toBe(serverBase);
  });

  it('knows every problem type the contract declares (checked by tsc)', () => {
    expectTypeOf<ContractProblemSlug>().toExtend<KnownProblemSlug>();
  });
});
