import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { intEnv, requireEnv } from '../../shared/env.js';
import type { CardProcessor } from './card-processor.js';
import { sandboxProcessorClient } from './sandbox-client.js';
import { sigV4Signer } from './sigv4.js';

/** Long enough for a normal charge; shorter than SANDBOX_SLOW_RESPONSE_MS, so the slow token's answer is lost. */
export const defaultProcessorTimeoutMs = 5000;

/**
 * The processor client the environment describes:
 *   PROCESSOR_URL         the processor's base URL (required)
 *   PROCESSOR_TIMEOUT_MS  per-request timeout, default 5000
 *   PROCESSOR_AUTH        `iam` to SigV4-sign for a function URL with AWS_IAM auth (region from
 *                         AWS_REGION, credentials from the default provider chain); unset or
 *                         `none` sends unsigned requests, as to the local processor.
 * Read at call time; build it once per container, since the credential provider caches.
 */
export const processorFromEnvironment = (): CardProcessor => {
  const baseUrl = requireEnv('PROCESSOR_URL');
  const timeoutMs = intEnv('PROCESSOR_TIMEOUT_MS', defaultProcessorTimeoutMs);
  const auth = process.env.PROCESSOR_AUTH ?? '';
  if (auth === 'iam') {
    const signRequest = sigV4Signer({ region: requireEnv('AWS_REGION'), credentials: defaultProvider() });
    return sandboxProcessorClient({ baseUrl, timeoutMs, signRequest });
  }
  if (auth === '' || auth === 'none') return sandboxProcessorClient({ baseUrl, timeoutMs });
  throw new Error(`Environment variable PROCESSOR_AUTH must be "iam" or "none", got "${auth}"`);
};
