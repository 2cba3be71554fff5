import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { contractDocument } from '../lambdas/contract/document.js';

export const openApiPath = resolve(fileURLToPath(import.meta.url), '../../openapi.json');

/** The contract as openapi.json holds it: formatted as `npm run format` would leave it, so the check and the formatter agree. */
export const renderOpenApi = async (): Promise<string> =>
  format(JSON.stringify(contractDocument()), { ...(await resolveConfig(openApiPath)), parser: 'json', filepath: openApiPath });
