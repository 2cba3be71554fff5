import type { ZodError } from 'zod';
import { ProblemError } from '../http/problem.js';

/** Bad input: the request is answered 400 and nothing is stored, so a corrected retry may reuse its key. */
export const invalidRequest = (detail: string, field?: string): ProblemError =>
  new ProblemError({
    status: 400,
    slug: 'validation-error',
    title: 'The request is invalid',
    detail,
    extensions: field === undefined ? {} : { field },
  });

/** The first zod issue, phrased as a problem naming the offending field. */
export const invalidFromZod = (error: ZodError, what: string): ProblemError => {
  const issue = error.issues[0];
  const unknownKey = issue?.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
  const field = [...(issue?.path ?? []), ...(unknownKey === undefined ? [] : [unknownKey])].map(String).join('.');
  const message = unknownKey === undefined ? (issue?.message ?? `Invalid ${what}`) : `Unknown ${what} field "${unknownKey}"`;
  return field === '' ? invalidRequest(message) : invalidRequest(`${field}: ${message}`, field);
};
