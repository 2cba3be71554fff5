import { describe, expect, it } from 'vitest';
import { problemSlugs, problemTypeBase } from '../../clients/typescript/src/problems.js';
import { problemTypeBase as serverBase, problemTypes } from '../../lambdas/http/problem-types.js';

describe('the client’s problem vocabulary', () => {
  it('is the server’s catalogue', () => {
    expect([...problemSlugs].sort()).toEqual(Object.keys(problemTypes).sort());
    expect(problemTypeBase).toBe(serverBase);
  });
});
