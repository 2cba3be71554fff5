import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The vitest run Stryker repeats for every mutant: only the unit tests of the pure cores, so no
 * globalSetup. The main config's globalSetup starts DynamoDB Local and the SQS emulator, which
 * these tests never touch and which would cost seconds per run.
 */
export default defineConfig({
  resolve: {
    // Stryker runs this in a sandbox copy whose node_modules links back to the original tree, where
    // the workspace link would reach the unmutated packages/idempotency: this reaches the sandbox's.
    alias: [
      { find: /^@retrysafe\/idempotency$/, replacement: fileURLToPath(new URL('packages/idempotency/src/index.ts', import.meta.url)) },
    ],
  },
  test: {
    include: [
      'test/idempotency/canonical-json.test.ts',
      'test/idempotency/fingerprint.test.ts',
      'test/idempotency/key-header.test.ts',
      'test/idempotency/middleware.unit.test.ts',
      'packages/idempotency/test/state-machine.test.ts',
      'test/payments/ledger.test.ts',
      'test/rate-limit/gcra.test.ts',
      'test/webhooks/retry-policy.test.ts',
      'test/webhooks/signing.test.ts',
    ],
    pool: 'forks',
  },
});
