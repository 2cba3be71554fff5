import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

export interface OutgoingRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Returns the headers to send: the request's own plus whatever authenticates it. */
export type RequestSigner = (request: OutgoingRequest) => Promise<Record<string, string>>;

export type SigningCredentials = ConstructorParameters<typeof SignatureV4>[0]['credentials'];

/**
 * SigV4 for a Lambda function URL with AWS_IAM auth: service `lambda`, the function's region.
 * The signature covers Host, so it is signed with the URL's host (port included when not the
 * default); fetch derives the Host it sends from the same URL, which is why Host is signed but
 * not passed on.
 */
export const sigV4Signer = (options: { readonly region: string; readonly credentials: SigningCredentials }): RequestSigner => {
  const signer = new SignatureV4({ service: 'lambda', region: options.region, credentials: options.credentials, sha256: Sha256 });
  return async ({ method, url, headers, body }) => {
    const signed = await signer.sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port === '' ? {} : { port: Number(url.port) }),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { ...headers, host: url.host },
      body,
    });
    const { host: _signedHost, ...sendable } = signed.headers;
    return sendable;
  };
};
