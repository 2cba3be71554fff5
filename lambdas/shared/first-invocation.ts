/**
 * Every function module follows one pattern:
 *
 *   export const depsFromEnvironment = (): XDeps => ...      settings read, clients created
 *   export const createXHandler = (deps: XDeps) => ...        the handler, testable with any deps
 *   export const handler = onFirstInvocation(() => createXHandler(depsFromEnvironment()));
 *
 * depsFromEnvironment() runs once per container, on its first invocation: that is the one time
 * settings are read. Not at import, so a test or the local stack can import a handler module
 * before the environment it reads exists; a malformed setting fails the first invocation (and,
 * earlier, `cdk synth`).
 */
export const onFirstInvocation = <TArgs extends unknown[], TResult>(
  build: () => (...args: TArgs) => TResult,
): ((...args: TArgs) => TResult) => {
  let built: ((...args: TArgs) => TResult) | undefined;
  return (...args) => (built ??= build())(...args);
};
