import type { Server } from 'node:http';
import { createSqsServer } from 'local-aws-sqs';

export interface RunningSqs {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** An in-process SQS emulator speaking the AWS JSON protocol, RedrivePolicy included. */
export const startSqsLocal = async (port: number): Promise<RunningSqs> => {
  const server: Server = await createSqsServer({
    port,
    hostname: '127.0.0.1',
    emulateQueueCreationLifecycle: false,
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise((resolveStop) => {
        server.closeAllConnections();
        server.close(() => {
          resolveStop();
        });
      }),
  };
};
