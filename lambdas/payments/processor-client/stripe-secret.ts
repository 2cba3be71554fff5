import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * The Stripe secret key, read from Secrets Manager once per container: the environment carries
 * only the secret's ARN, so the key is in no template, no console and no `GetFunction` answer.
 * A failed read is not cached, so the next call tries again.
 */
export type StripeKeySource = () => Promise<string>;

/** A secret (`sk_`) or restricted (`rk_`) key, live or test: anything else is the wrong secret. */
const stripeKeyPattern = /^(sk|rk)_(live|test)_[A-Za-z0-9]+$/;

export const stripeKeyFromSecret = (
  secretId: string,
  client: Pick<SecretsManagerClient, 'send'> = new SecretsManagerClient({}),
): StripeKeySource => {
  let cached: Promise<string> | undefined;
  const read = async (): Promise<string> => {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    const key = SecretString?.trim();
    if (key === undefined || !stripeKeyPattern.test(key)) {
      throw new Error(`The secret ${secretId} does not hold a Stripe secret key (sk_… or rk_…, as plain text)`);
    }
    return key;
  };
  return () => {
    cached ??= read().catch((error: unknown) => {
      cached = undefined;
      throw error;
    });
    return cached;
  };
};
