import { defaultProvider } from '@aws-sdk/credential-provider-node';
import Stripe from 'stripe';
import { readSetting } from '../../settings.js';
import { requireEnv } from '../../shared/env.js';
import { emfRecorder } from '../../shared/metric-recorder.js';
import type { CardProcessor } from './card-processor.js';
import { deferredProcessor } from './deferred.js';
import { meteredProcessor } from './metered.js';
import { sandboxProcessorClient } from './sandbox-client.js';
import { sigV4Signer } from './sigv4.js';
import { stripeProcessorClient, stripeSdkConfig } from './stripe-client.js';
import { stripeKeyFromSecret } from './stripe-secret.js';

/**
 * The processor client that PROCESSOR_KIND and the settings of that processor describe
 * (lambdas/settings.ts), each call counted and timed as an EMF metric. Build it once per
 * container: the credential provider and the Stripe key cache.
 */
export const processorFromEnvironment = (): CardProcessor => meteredProcessor(clientFromEnvironment(), emfRecorder('processor'));

const clientFromEnvironment = (): CardProcessor => {
  switch (readSetting('PROCESSOR_KIND')) {
    case 'sandbox':
      return sandboxClientFromEnvironment();
    case 'stripe':
      return stripeClientFromEnvironment();
  }
};

/** The key is read on the first call, not here: building a handler's dependencies makes no AWS call. */
const stripeClientFromEnvironment = (): CardProcessor => {
  const timeoutMs = readSetting('PROCESSOR_TIMEOUT_MS');
  const stripeKey = stripeKeyFromSecret(readSetting('STRIPE_API_KEY_SECRET_ARN'));
  return deferredProcessor(async () => stripeProcessorClient({ stripe: new Stripe(await stripeKey(), stripeSdkConfig(timeoutMs)) }));
};

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
