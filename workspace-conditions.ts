/**
 * The export condition under which Retrysafe's workspace packages (packages/*) resolve to their
 * TypeScript sources instead of a dist/ that exists only once they are packed. Every tool that
 * loads the repository's code names it: tsc (tsconfig.json customConditions), vitest
 * (vitest.config.ts), node and tsx (`--conditions` in package.json scripts, cdk.json, forks of
 * the local stack) and esbuild (the function bundles in lib/). Consumers of a published package
 * never name it, and get dist/.
 */
export const sourceCondition = 'retrysafe-source';

/** The node flag that makes node, and tsx on top of it, resolve workspace packages to their sources. */
export const sourceConditionFlag = `--conditions=${sourceCondition}`;
