import { ProblemError } from '../http/problem.js';

export const endpointNotFound = (): ProblemError =>
  new ProblemError('not-found', { detail: 'This account has no webhook endpoint with that id.' });

export const webhookUrlInvalid = (reason: string): ProblemError =>
  new ProblemError('webhook-url-invalid', { detail: reason, extensions: { field: 'url' } });
