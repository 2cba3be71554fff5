import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';
import { sourceCondition } from './workspace-conditions.js';

export default defineConfig({
  // Workspace packages resolve to their sources (workspace-conditions.ts), so nothing is built to
  // test them. The rest are vitest's own defaults, which leave out `module`: it would pick the AWS
  // SDK's bundler-only builds. Vitest hands these to its workers' node as `--conditions` too.
  ssr: { resolve: { conditions: [sourceCondition, ...defaultServerConditions.filter((condition) => condition !== 'module')] } },
  test: {
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Integration tests share one DynamoDB Local; each test scopes its data by fresh tenant ids.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
