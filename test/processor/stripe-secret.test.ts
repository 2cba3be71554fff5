import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { processorFromEnvironment } from '../../lambdas/payments/processor-client/from-environment.js';
import { stripeKeyFromSecret } from '../../lambdas/payments/processor-client/stripe-secret.js';
import { settingsInUse } from '../../lambdas/settings.js';

/** The Stripe key comes from Secrets Manager (mocked here: nothing leaves the process), once per container. */
const secrets = mockClient(SecretsManagerClient);
const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:retrysafe/stripe-AbCdEf';

afterEach(() => {
  secrets.reset();
});

describe('the Stripe key', () => {
  it('is read once and kept', async () => {
    secrets.on(GetSecretValueCommand, { SecretId: secretArn }).resolves({ SecretString: 'sk_test_abc123\n' });
    const key = stripeKeyFromSecret(secretArn);
    expect(await key()).toBe('sk_test_abc123');
    expect(await key()).toBe('sk_test_abc123');
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('is read again after a failed read, and refused when the secret holds no Stripe key', async () => {
    secrets.on(GetSecretValueCommand).rejectsOnce(new Error('throttled')).resolves({ SecretString: '{"key":"sk_test_abc"}' });
    const key = stripeKeyFromSecret(secretArn);
    await expect(key()).rejects.toThrow('throttled');
    await expect(key()).rejects.toThrow(/does not hold a Stripe secret key/);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });
});

describe('PROCESSOR_KIND=stripe', () => {
  it('answers unavailable, calling nobody, while the key cannot be read', async () => {
    process.env.PROCESSOR_KIND = 'stripe';
    process.env.STRIPE_API_KEY_SECRET_ARN = secretArn;
    try {
      secrets.on(GetSecretValueCommand).resolves({ SecretString: 'not a key' });
      const processor = processorFromEnvironment();
      expect(await processor.findCharge('retrysafe_x')).toMatchObject({ kind: 'unavailable', reason: 'server-error' });
      expect(await processor.charge({ amount: 1, currency: 'usd', source: 'tok_visa', idempotencyKey: 'k' })).toMatchObject({
        kind: 'unavailable',
        detail: expect.stringContaining('does not hold a Stripe secret key') as string,
      });
    } finally {
      delete process.env.PROCESSOR_KIND;
      delete process.env.STRIPE_API_KEY_SECRET_ARN;
    }
  });
});

describe('the settings in use', () => {
  it("are each processor's own and the shared ones: the sandbox's URL, or Stripe's secret", () => {
    const sandbox = settingsInUse({});
    expect(sandbox).toEqual(expect.arrayContaining(['PROCESSOR_KIND', 'PROCESSOR_URL', 'PROCESSOR_TIMEOUT_MS']));
    expect(sandbox).not.toContain('STRIPE_API_KEY_SECRET_ARN');
    const stripe = settingsInUse({ PROCESSOR_KIND: 'stripe' });
    expect(stripe).toEqual(expect.arrayContaining(['PROCESSOR_KIND', 'STRIPE_API_KEY_SECRET_ARN', 'PROCESSOR_TIMEOUT_MS']));
    expect(stripe).not.toContain('PROCESSOR_URL');
  });
});
