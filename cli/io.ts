/** Where a command-line tool writes, and the clock it runs by; tests pass their own. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly now: () => number;
}

export const processIo: CliIo = {
  out: (text) => {
    console.log(text);
  },
  err: (text) => {
    console.error(text);
  },
  now: Date.now,
};

export const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Runs a tool's main with this process's arguments and exits with its code. The SDK's warning
 * about Node versions is for Lambda runtimes, not for an operator's shell.
 */
export const runAsProcess = (main: (argv: readonly string[]) => Promise<number>): void => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
};
