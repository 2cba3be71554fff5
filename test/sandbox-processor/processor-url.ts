import type { Server } from 'node:http';
import { afterAll, beforeAll } from 'vitest';
import { startFunctionUrl } from '../../local/function-url.js';
import { freePort } from '../../local/ports.js';

/** The sandbox processor behind a local function URL, for the tests of the enclosing block; returns its base URL. */
export const useProcessorUrl = (): (() => string) => {
  let server: Server | undefined;
  let baseUrl = '';
  beforeAll(async () => {
    const port = await freePort();
    server = await startFunctionUrl('processor', port);
    baseUrl = `http://127.0.0.1:${port}`;
  });
  afterAll(() => {
    server?.closeAllConnections();
    server?.close();
  });
  return () => baseUrl;
};
