import type { ChildProcess } from 'node:child_process';

/**
 * Stops a child process: `signal` (SIGTERM lets it stop its own children first), then SIGKILL
 * if it is still there after `graceMs`. Resolves once it has exited, at once if it already had.
 */
export const stopChild = (child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 3_000): Promise<void> =>
  new Promise((resolveStop) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolveStop();
      return;
    }
    child.once('exit', () => {
      resolveStop();
    });
    child.kill(signal);
    if (signal !== 'SIGKILL') setTimeout(() => child.kill('SIGKILL'), graceMs).unref();
  });

/**
 * What a start-up registers to undo, stopped newest first, each whatever the others do: a
 * service that fails to stop is reported, and the ones started before it still stop.
 */
export const shutdownList = (what: string) => {
  const stops: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    for (const stopOne of stops.reverse()) {
      await stopOne().catch((error: unknown) => {
        console.error(`Stopping ${what} failed`, error);
      });
    }
    stops.length = 0;
  };
  return { stops, stop };
};
