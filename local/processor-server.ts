import { startFunctionUrl } from './function-url.js';

/**
 * The sandbox card processor as its own process, the way it is its own Lambda behind a
 * function URL in the deployed stack: a crash or restart of the API never touches it.
 */
const port = Number(process.env.PROCESSOR_PORT ?? '4010');
const server = await startFunctionUrl('processor', port);
process.send?.({ ready: port });
const shutdown = () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
// The stack talks to this process over IPC: the channel closing means the stack is gone, however
// it died, and nothing else would stop this process from holding its port.
process.on('disconnect', shutdown);
