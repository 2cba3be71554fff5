import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { readSetting } from '../../settings.js';
import { requireEnv } from '../../shared/env.js';
import { emfRecorder } from '../../shared/metric-recorder.js';
import type { CardProcessor } from './card-processor.js';
import { meteredProcessor } from './metered.js';
import { sandboxProcessorClient } from './sandbox-client.js';
import { sigV4Signer } from './sigv4.js';

/**
 * The processor client that PROCESSOR_URL, PROCESSOR_TIMEOUT_MS and PROCESSOR_AUTH describe
 * (lambdas/settings.ts), each call counted and timed as an EMF metric. Build it once per
 * container: the credential provider caches.
 */
export const processorFromEnvironment = (): CardProcessor => meteredProcessor(sandboxClientFromEnvironment(), emfRecorder('processor'));

/**
 * With `iam` the client signs for a function URL with AWS_IAM auth, the region from AWS_REGION
 * and the credentials from the default provider chain.
 */
const sandboxClientFromEnvironment = (): CardProcessor => {
  const baseUrl = readSetting('PROCESSOR_URL');
  const timeoutMs = readSetting('PROCESSOR_TIMEOUT_MS');
  switch (readSetting('PROCESSOR_AUTH')) {
    case 'iam': {
      const signRequest = sigV4Signer({ region: requireEnv('AWS_REGION'), credentials: defaultProvider() });
      return sandboxProcessorClient({ baseUrl, timeoutMs, signRequest });
    }
    case 'none':
      return sandboxProcessorClient({ baseUrl, timeoutMs });
  }
};
