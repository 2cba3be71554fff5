import { Retrysafe, type RetrysafeClientOptions } from '../../clients/typescript/src/index.js';

/** What the fake server saw of one attempt. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly idempotencyKey: string | null;
  readonly body: string;
}

/** One scripted answer: a response, a network failure, or an attempt that never answers (until aborted). */
export type Scripted = Response | 'network-error' | 'hang';

export const problemResponse = (slug: string, status: number, headers: Record<string, string> = {}, extensions: object = {}): Response =>
  new Response(JSON.stringify({ type: `https://retrysafe.dev/problems/${slug}`, title: slug, status, ...extensions }), {
    status,
    headers: { 'Content-Type': 'application/problem+json', ...headers },
  });

export const jsonResponse = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });

/**
 * A client over a scripted fetch: each attempt takes the next answer. Sleeps are recorded and
 * return at once; random is fixed, so every delay is known.
 */
export const scriptedClient = (script: Scripted[], options: Partial<RetrysafeClientOptions> = {}) => {
  const seen: SeenRequest[] = [];
  const sleeps: number[] = [];
  const fetch = async (request: Request): Promise<Response> => {
    seen.push({
      method: request.method,
      url: request.url,
      idempotencyKey: request.headers.get('Idempotency-Key'),
      body: await request.text(),
    });
    const next = script.shift();
    if (next === undefined) throw new Error('the script ran out');
    if (next === 'network-error') throw new TypeError('fetch failed');
    if (next === 'hang') {
      return new Promise((_resolve, reject) => {
        request.signal.addEventListener('abort', () => {
          reject(request.signal.reason as Error);
        });
      });
    }
    return next;
  };
  const client = new Retrysafe({
    apiKey: 'sk_test_fake',
    baseUrl: 'http://127.0.0.1:1',
    fetch,
    random: () => 0.5,
    sleep: async (ms, signal) => {
      if (signal?.aborted === true) throw signal.reason;
      sleeps.push(ms);
    },
    now: () => 0,
    ...options,
  });
  return { client, seen, sleeps };
};
