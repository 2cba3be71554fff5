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

/**
 * A port to suggest instead of a taken one: the next few above it that are free now and not
 * among `avoid` (the stack's other ports), or any port the OS hands out.
 */
export const suggestFreePort = async (taken: number, avoid: readonly number[]): Promise<number> => {
  for (let port = taken + 1; port <= Math.min(taken + 50, 65535); port++) {
    if (avoid.includes(port)) continue;
    try {
      await assertPortFree(port);
      return port;
    } catch {
      // Taken as well: try the next.
    }
  }
  return freePort();
};

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
