import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Integration tests share one DynamoDB Local; each test scopes its data by fresh tenant ids.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
