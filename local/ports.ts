import { createServer } from 'node:net';

/** Resolves when nothing listens on the port, rejects with EADDRINUSE (or another bind error) otherwise. */
export const assertPortFree = (port: number, host = '127.0.0.1'): Promise<void> =>
  new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(port, host, () => {
      probe.close(() => {
        resolvePort();
      });
    });
  });

/** A port the OS just handed out, for test suites that must not collide with a running stack. */
export const freePort = (): Promise<number> =>
  new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => {
        if (address === null || typeof address === 'string') reject(new Error('No port assigned'));
        else resolvePort(address.port);
      });
    });
  });
