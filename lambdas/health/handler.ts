import { jsonResponse, type HttpResponse } from '../http/types.js';

/** Liveness only: it answers without authentication and without touching DynamoDB. */
export const handler = (): Promise<HttpResponse> => Promise.resolve(jsonResponse(200, { status: 'ok' }));
