import type { Progress } from './driver.js';

const count = (n: number): string => n.toLocaleString('en-US');

export const progressLine = (progress: Progress): string => {
  const seconds = progress.elapsedMs / 1000;
  const o = progress.outcomes;
  return (
    `${count(progress.sent)}/${count(progress.budget)} sent · ${progress.inFlight} in flight · ` +
    `${seconds > 0 ? Math.round(progress.completed / seconds) : 0} req/s · ${seconds.toFixed(0)} s · ` +
    `201 ${count(o['first-execution'])}  402 ${count(o['declined-402'])}  replay ${count(o.replay)}  409 ${count(o['in-use-409'])}  ` +
    `422 ${count(o['key-reused-422'])}  429 ${count(o['rate-limited-429'])}  503 ${count(o['unavailable-503'])}  ` +
    `abandoned ${count(progress.cutOff)}${progress.transportErrors + o.other > 0 ? `  UNEXPECTED ${count(progress.transportErrors + o.other)}` : ''}`
  );
};

/**
 * Shows progress while the load runs: one line rewritten in place on a terminal, a line every
 * few seconds otherwise (CI logs). Returns the function that stops it.
 */
export const showProgress = (read: () => Progress, stream: NodeJS.WriteStream = process.stderr): (() => void) => {
  const tty = stream.isTTY;
  const timer = setInterval(
    () => {
      const line = progressLine(read());
      if (tty) stream.write(`\r\x1b[2K${line.slice(0, Math.max(20, stream.columns - 1))}`);
      else stream.write(`${line}\n`);
    },
    tty ? 250 : 5_000,
  );
  return () => {
    clearInterval(timer);
    const line = progressLine(read());
    stream.write(tty ? `\r\x1b[2K${line.slice(0, Math.max(20, stream.columns - 1))}\n` : `${line}\n`);
  };
};
