import type { Server } from 'node:http';
import { startApiGateway } from '../../local/api-gateway.js';
import { startFunctionUrl } from '../../local/function-url.js';
import { freePort } from '../../local/ports.js';

export interface ServicesInWorker {
  readonly apiUrl: string;
  readonly processorUrl: string;
  stop(): Promise<void>;
}

const close = (server: Server): Promise<void> =>
  new Promise((resolveClose) => {
    server.closeAllConnections();
    server.close(() => {
      resolveClose();
    });
  });

/**
 * The local API Gateway and the sandbox processor in this test worker, on the global setup's
 * DynamoDB Local, as `npm start` runs them: for suites that talk to the API over HTTP.
 */
export const startServicesInWorker = async (): Promise<ServicesInWorker> => {
  const processorPort = await freePort();
  const processor = await startFunctionUrl('processor', processorPort);
  const processorUrl = `http://127.0.0.1:${processorPort}`;
  // The processor's first invocation loads its modules; on a busy machine that alone can outlast the
  // charge path's processor timeout, and a card charge would be answered 503. Load them first.
  await (await fetch(new URL('/charges?limit=1', processorUrl))).text();
  // Read when the charges handler builds its processor client, on its first request.
  process.env.PROCESSOR_URL = processorUrl;
  const apiPort = await freePort();
  const api = await startApiGateway({ port: apiPort });
  return {
    apiUrl: `http://127.0.0.1:${apiPort}`,
    processorUrl,
    stop: async () => {
      await close(api);
      await close(processor);
    },
  };
};
