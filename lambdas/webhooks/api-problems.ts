import { ProblemError } from '../http/problem.js';
import type { ZodError } from 'zod';

export const endpointNotFound = (): ProblemError =>
  new ProblemError({
    status: 404,
    slug: 'not-found',
    title: 'No such webhook endpoint',
    detail: 'This account has no webhook endpoint with that id.',
  });

export const webhookUrlInvalid = (reason: string): ProblemError =>
  new ProblemError({
    status: 400,
    slug: 'webhook-url-invalid',
    title: 'The webhook URL is not allowed',
    detail: reason,
    extensions: { field: 'url' },
  });

export const invalidQuery = (error: ZodError): ProblemError => {
  const issue = error.issues[0];
  const unknownKey = issue?.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
  const field = unknownKey ?? issue?.path.map(String).join('.') ?? '';
  const message = unknownKey === undefined ? (issue?.message ?? 'Invalid query parameter') : `Unknown query parameter "${unknownKey}"`;
  return new ProblemError({
    status: 400,
    slug: 'validation-error',
    title: 'The query string is invalid',
    detail: unknownKey === undefined && field !== '' ? `${field}: ${message}` : message,
    ...(field === '' ? {} : { extensions: { field } }),
  });
};
