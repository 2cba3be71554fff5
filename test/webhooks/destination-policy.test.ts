import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkWebhookUrl, classifyAddress, type Resolver } from '../../lambdas/webhooks/destination-policy.js';
import { createSender, type WebhookSender } from '../../lambdas/webhooks/http-sender.js';
import { type Receiver, startReceiver, startSilentServer } from './support.js';

const resolverOf =
  (table: Record<string, readonly string[]>): Resolver =>
  (hostname) => {
    const addresses = table[hostname];
    if (addresses === undefined) return Promise.reject(Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
    return Promise.resolve(addresses.map((address) => ({ address, family: address.includes(':') ? (6 as const) : (4 as const) })));
  };

describe('classifyAddress', () => {
  it.each([
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.10', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['169.254.0.1', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.1', 'reserved'],
    ['fe80::1', 'linkLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['ff02::1', 'multicast'],
    ['::', 'unspecified'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'linkLocal'],
    ['::ffff:100.64.0.1', 'carrierGradeNat'],
    ['::ffff:0.0.0.0', 'unspecified'],
    ['::a9fe:a9fe', 'ipv4Compatible'],
    ['64:ff9b::a9fe:a9fe', 'rfc6052'],
    ['2002:a9fe:a9fe::1', '6to4'],
    ['2001:0:4136:e378::1', 'teredo'],
    ['2001:db8::1', 'reserved'],
  ])('refuses %s (%s)', (address, range) => {
    expect(classifyAddress(address)).toEqual({ kind: 'forbidden', range });
  });

  it.each(['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1'])('recognises the loopback %s', (address) => {
    expect(classifyAddress(address)).toEqual({ kind: 'loopback' });
  });

  it.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])('accepts the public %s', (address) => {
    expect(classifyAddress(address)).toEqual({ kind: 'public' });
  });
});

describe('checkWebhookUrl at registration', () => {
  const resolve = resolverOf({
    'hooks.example.test': ['93.184.216.34'],
    'v6.example.test': ['2606:4700::1111'],
    'metadata.example.test': ['169.254.169.254'],
    'mixed.example.test': ['93.184.216.34', '10.0.0.5'],
    'local.example.test': ['127.0.0.1'],
    localhost: ['127.0.0.1', '::1'],
  });
  const strict = { allowLoopback: false };
  const loopbackAllowed = { allowLoopback: true };

  it.each([
    'https://hooks.example.test/webhooks',
    'https://v6.example.test/',
    'https://93.184.216.34:8443/hook',
    'https://[2606:4700::1111]/hook',
  ])('accepts %s', async (url) => {
    expect((await checkWebhookUrl(url, strict, resolve)).ok).toBe(true);
  });

  it.each([
    ['http://hooks.example.test/', /https/],
    ['ftp://hooks.example.test/', /https/],
    ['not a url', /valid absolute URL/],
    ['https://user:secret@hooks.example.test/', /credentials/],
    ['https://hooks.example.test/#section', /fragment/],
    ['https://127.0.0.1/', /loopback/],
    ['https://[::1]/', /loopback/],
    ['https://localhost/', /loopback/],
    ['https://local.example.test/', /loopback/],
    ['https://2130706433/', /loopback/],
    ['https://0x7f.0.0.1/', /loopback/],
    ['https://169.254.169.254/latest/meta-data/', /linkLocal/],
    ['https://[::ffff:169.254.169.254]/', /linkLocal/],
    ['https://[::ffff:a9fe:a9fe]/', /linkLocal/],
    ['https://metadata.example.test/', /linkLocal/],
    ['https://mixed.example.test/', /private/],
    ['https://10.0.0.1/', /private/],
    ['https://172.16.5.4/', /private/],
    ['https://192.168.1.1/', /private/],
    ['https://100.64.1.1/', /carrierGradeNat/],
    ['https://0.0.0.0/', /unspecified/],
    ['https://[fe80::1]/', /linkLocal/],
    ['https://[fc00::1]/', /uniqueLocal/],
    ['https://224.0.0.1/', /multicast/],
    ['https://nowhere.example.test/', /could not be resolved/],
  ])('refuses %s', async (url, reason) => {
    const result = await checkWebhookUrl(url, strict, resolve);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toMatch(reason);
  });

  it('allows loopback, over http too, only when the local stack says so', async () => {
    expect((await checkWebhookUrl('http://127.0.0.1:4000/hook', loopbackAllowed, resolve)).ok).toBe(true);
    expect((await checkWebhookUrl('http://localhost:4000/hook', loopbackAllowed, resolve)).ok).toBe(true);
    expect((await checkWebhookUrl('https://[::1]:4000/hook', loopbackAllowed, resolve)).ok).toBe(true);
  });

  it('still requires https beyond loopback, and still refuses private ranges, with loopback allowed', async () => {
    expect((await checkWebhookUrl('http://hooks.example.test/', loopbackAllowed, resolve)).ok).toBe(false);
    expect((await checkWebhookUrl('http://93.184.216.34/', loopbackAllowed, resolve)).ok).toBe(false);
    expect((await checkWebhookUrl('http://169.254.169.254/', loopbackAllowed, resolve)).ok).toBe(false);
    expect((await checkWebhookUrl('https://10.0.0.1/', loopbackAllowed, resolve)).ok).toBe(false);
  });
});

describe('the sender re-checks the destination at connect time', () => {
  let receiver: Receiver;
  const senders: WebhookSender[] = [];
  const sender = (allowLoopback: boolean, resolve: Resolver, timeoutMs = 5_000): WebhookSender => {
    const created = createSender({ allowLoopback, timeoutMs, resolve });
    senders.push(created);
    return created;
  };
  const webhook = (url: string) => ({ url, headers: { 'webhook-id': 'dlv_test' }, body: '{}' });

  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await Promise.all(senders.map((s) => s.close()));
    await receiver.close();
  });

  it('connects to the address the injected resolver returns (the control case)', async () => {
    const before = receiver.requests.length;
    const result = await sender(true, resolverOf({ 'receiver.test': ['127.0.0.1'] })).send(
      webhook(`http://receiver.test:${receiver.port}/ok`),
    );
    expect(result).toMatchObject({ kind: 'response', status: 200 });
    expect(receiver.requests.length).toBe(before + 1);
  });

  it('refuses a name that now resolves to loopback when loopback is not allowed, without connecting', async () => {
    const connections = receiver.connections;
    const result = await sender(false, resolverOf({ 'rebound.test': ['127.0.0.1'] })).send(
      webhook(`https://rebound.test:${receiver.port}/`),
    );
    expect(result).toMatchObject({
      kind: 'error',
      error: expect.stringMatching(/^destination refused: rebound\.test resolves to 127\.0\.0\.1 is a loopback/) as string,
    });
    expect(receiver.connections).toBe(connections);
  });

  it('refuses a name that now resolves to the metadata address, even with loopback allowed', async () => {
    const result = await sender(true, resolverOf({ 'rebound.test': ['169.254.169.254'] })).send(
      webhook('http://rebound.test/latest/meta-data/'),
    );
    expect(result).toMatchObject({ kind: 'error', error: expect.stringMatching(/^destination refused: .*linkLocal/) as string });
  });

  it('refuses a name with one bad address among good ones', async () => {
    const connections = receiver.connections;
    const result = await sender(true, resolverOf({ 'mixed.test': ['127.0.0.1', '10.0.0.7'] })).send(
      webhook(`http://mixed.test:${receiver.port}/`),
    );
    expect(result).toMatchObject({ kind: 'error', error: expect.stringMatching(/^destination refused: .*private/) as string });
    expect(receiver.connections).toBe(connections);
  });

  it('refuses IP-literal destinations that the lookup never sees', async () => {
    const connections = receiver.connections;
    const refuse = sender(false, resolverOf({}));
    for (const url of [
      `http://127.0.0.1:${receiver.port}/`,
      `https://127.0.0.1:${receiver.port}/`,
      `https://[::ffff:127.0.0.1]:${receiver.port}/`,
    ]) {
      expect(await refuse.send(webhook(url))).toMatchObject({
        kind: 'error',
        error: expect.stringMatching(/^destination refused/) as string,
      });
    }
    expect(receiver.connections).toBe(connections);
  });

  it('does not follow redirects: a 3xx is the answer', async () => {
    const redirecting = await startReceiver(() => ({ status: 302, headers: { location: receiver.url } }));
    const before = receiver.requests.length;
    try {
      const result = await sender(true, resolverOf({})).send(webhook(redirecting.url));
      expect(result).toMatchObject({ kind: 'response', status: 302 });
      expect(redirecting.requests).toHaveLength(1);
      expect(receiver.requests.length).toBe(before);
    } finally {
      await redirecting.close();
    }
  });

  it('gives up on a receiver that does not answer within the timeout', async () => {
    const silent = await startSilentServer();
    try {
      const result = await sender(true, resolverOf({}), 200).send(webhook(silent.url));
      expect(result).toMatchObject({ kind: 'error', error: 'timeout after 200 ms' });
    } finally {
      await silent.close();
    }
  });

  it('reports a refused connection as an error attempt, not a crash', async () => {
    const closed = await startReceiver();
    const url = closed.url;
    await closed.close();
    const result = await sender(true, resolverOf({})).send(webhook(url));
    expect(result).toMatchObject({ kind: 'error', error: 'connection failed: ECONNREFUSED' });
  });

  it('passes Retry-After through', async () => {
    const limited = await startReceiver(() => ({ status: 429, headers: { 'retry-after': '7' } }));
    try {
      expect(await sender(true, resolverOf({})).send(webhook(limited.url))).toMatchObject({
        kind: 'response',
        status: 429,
        retryAfterMs: 7_000,
      });
    } finally {
      await limited.close();
    }
  });
});
