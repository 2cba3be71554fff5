import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

/**
 * Where a webhook may be sent. A webhook URL is chosen by a merchant, so without these rules
 * the dispatcher would be a server-side request forgery tool: it could reach the instance
 * metadata service (169.254.169.254), the VPC, or services on the host itself.
 *
 * The rule is allow-listed, not deny-listed: an address must be public unicast (ipaddr.js's
 * 'unicast' range, which excludes private, link-local, CGNAT, loopback, multicast, reserved,
 * documentation and benchmarking space). IPv6 forms that embed an IPv4 address are judged by the
 * IPv4 address they carry (::ffff:a.b.c.d) or refused outright (IPv4-compatible ::a.b.c.d, NAT64
 * and 6to4 prefixes, Teredo), so no spelling of 127.0.0.1 or 169.254.169.254 gets through.
 * Loopback is allowed only when WEBHOOK_ALLOW_LOOPBACK is on (the local stack), and plain
 * http only towards loopback: anything crossing a network is https.
 *
 * The same rules run at registration (every address the name resolves to) and again at
 * delivery against the address actually connected to (see connect-guard.ts), because DNS can
 * change between the two.
 */
export interface DestinationRules {
  readonly allowLoopback: boolean;
}

export type AddressClass =
  { readonly kind: 'public' } | { readonly kind: 'loopback' } | { readonly kind: 'forbidden'; readonly range: string };

export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Name resolution, injectable so tests can point any name at any address. */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) => {
  const addresses = await lookup(hostname, { all: true, verbatim: true });
  return addresses.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
};

const classifyIpv4 = (address: ipaddr.IPv4): AddressClass => {
  const range = address.range();
  if (range === 'unicast') return { kind: 'public' };
  if (range === 'loopback') return { kind: 'loopback' };
  return { kind: 'forbidden', range };
};

/** ::/96 minus :: and ::1: the deprecated IPv4-compatible form, which ipaddr.js calls unicast. */
const isIpv4Compatible = (address: ipaddr.IPv6): boolean => {
  const parts = address.parts;
  return parts.slice(0, 6).every((part) => part === 0) && (parts[6] !== 0 || (parts[7] ?? 0) > 1);
};

export const classifyAddress = (raw: string): AddressClass => {
  if (!ipaddr.isValid(raw)) return { kind: 'forbidden', range: 'not an IP address' };
  const parsed = ipaddr.parse(raw);
  if (parsed.kind() === 'ipv4') return classifyIpv4(parsed as ipaddr.IPv4);
  const ipv6 = parsed as ipaddr.IPv6;
  if (ipv6.isIPv4MappedAddress()) return classifyIpv4(ipv6.toIPv4Address());
  if (isIpv4Compatible(ipv6)) return { kind: 'forbidden', range: 'ipv4Compatible' };
  const range = ipv6.range();
  if (range === 'unicast') return { kind: 'public' };
  if (range === 'loopback') return { kind: 'loopback' };
  return { kind: 'forbidden', range };
};

export type Scheme = 'https:' | 'http:';

/** Why an address may not be connected to, or undefined when it may. */
export const refusalForAddress = (address: string, scheme: Scheme, rules: DestinationRules): string | undefined => {
  const verdict = classifyAddress(address);
  switch (verdict.kind) {
    case 'forbidden':
      return `${address} is in a non-public range (${verdict.range})`;
    case 'loopback':
      return rules.allowLoopback ? undefined : `${address} is a loopback address`;
    case 'public':
      return scheme === 'https:' ? undefined : `${address} is public, so the URL must use https`;
  }
};

/** A URL that passed the syntactic rules; the host is either an IP literal or a name. */
export interface WebhookUrl {
  readonly url: URL;
  readonly scheme: Scheme;
  readonly host: { readonly kind: 'address'; readonly address: string } | { readonly kind: 'name'; readonly name: string };
}

export type UrlCheck = { readonly ok: true; readonly value: WebhookUrl } | { readonly ok: false; readonly reason: string };

export const maxUrlLength = 2048;

/** The rules that need no DNS: scheme, credentials, fragment, and IP-literal hosts. */
export const parseWebhookUrl = (raw: string, rules: DestinationRules): UrlCheck => {
  if (raw.length > maxUrlLength) return { ok: false, reason: `The URL is longer than ${maxUrlLength} characters.` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'The URL is not a valid absolute URL.' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, reason: 'The URL must use https.' };
  const scheme: Scheme = url.protocol;
  if (scheme === 'http:' && !rules.allowLoopback) return { ok: false, reason: 'The URL must use https.' };
  // Credentials would be stored and listed in clear; a fragment is never sent, so it is a mistake.
  if (url.username !== '' || url.password !== '') return { ok: false, reason: 'The URL must not contain credentials.' };
  if (url.hash !== '') return { ok: false, reason: 'The URL must not contain a fragment.' };
  // WHATWG URL parsing already normalised 0x7f.1, 2130706433 and friends to dotted quads.
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (hostname === '') return { ok: false, reason: 'The URL has no host.' };
  if (!ipaddr.isValid(hostname)) return { ok: true, value: { url, scheme, host: { kind: 'name', name: hostname } } };
  const refusal = refusalForAddress(hostname, scheme, rules);
  if (refusal !== undefined) return { ok: false, reason: `The URL is not allowed: ${refusal}.` };
  return { ok: true, value: { url, scheme, host: { kind: 'address', address: hostname } } };
};

/**
 * Registration-time check: the syntactic rules, then every address the name resolves to. One
 * refused address refuses the URL: a name with both a public and a private record is exactly
 * what a rebinding attack looks like.
 */
export const checkWebhookUrl = async (raw: string, rules: DestinationRules, resolve: Resolver): Promise<UrlCheck> => {
  const parsed = parseWebhookUrl(raw, rules);
  if (!parsed.ok || parsed.value.host.kind === 'address') return parsed;
  const { name } = parsed.value.host;
  let addresses: readonly ResolvedAddress[];
  try {
    addresses = await resolve(name);
  } catch {
    return { ok: false, reason: `The host ${name} could not be resolved.` };
  }
  if (addresses.length === 0) return { ok: false, reason: `The host ${name} could not be resolved.` };
  for (const { address } of addresses) {
    const refusal = refusalForAddress(address, parsed.value.scheme, rules);
    if (refusal !== undefined) return { ok: false, reason: `The URL is not allowed: ${name} resolves to ${refusal}.` };
  }
  return parsed;
};
