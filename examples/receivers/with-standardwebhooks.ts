import { Webhook } from 'standardwebhooks';

export const verifiedEvent = (secret: string, headers: Record<string, string>, rawBody: string): { id: string; type: string } =>
  // Throws unless a v1 signature matches and webhook-timestamp is within 5 minutes of now.
  new Webhook(secret).verify(rawBody, headers) as { id: string; type: string };
