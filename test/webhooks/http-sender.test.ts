import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSender, type WebhookSender } from '../../lambdas/webhooks/http-sender.js';

/** How each path of the receiver answers, once its headers are out. */
const answers: Record<string, (response: ServerResponse) => void> = {
  '/complete': (response) => {
    response.end('{"ok":true}');
  },
  '/large': (response) => {
    response.end('x'.repeat(1024 * 1024));
  },
  // A byte at a time, never finishing: only the sender's timeout ends it.
  '/trickle': (response) => {
    const timer = setInterval(() => {
      response.write('.');
    }, 20);
    response.on('close', () => {
      clearInterval(timer);
    });
  },
  '/cut-off': (response) => {
    response.write('{"partial":');
    setTimeout(() => {
      response.socket?.destroy();
    }, 20);
  },
};

describe('the webhook sender waits for the whole response, connect to last byte', () => {
  let receiver: Server;
  let baseUrl: string;
  let sender: WebhookSender;

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      request.resume();
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.flushHeaders();
      answers[request.url ?? '']?.(response);
    });
    await new Promise<void>((resolveListen) => receiver.listen(0, '127.0.0.1', resolveListen));
    baseUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    // Short enough that the trickling receiver outlasts it many times over.
    sender = createSender({ allowLoopback: true, timeoutMs: 300 });
  });
  afterAll(async () => {
    await sender.close();
    receiver.closeAllConnections();
    receiver.close();
  });

  const send = (path: string) => sender.send({ url: `${baseUrl}${path}`, headers: { 'webhook-id': 'dlv_test' }, body: '{}' });

  it('records a complete answer as the response it is (the control case)', async () => {
    expect(await send('/complete')).toMatchObject({ kind: 'response', status: 200 });
  });

  it('records a long answer once enough of it has arrived, without reading it all', async () => {
    expect(await send('/large')).toMatchObject({ kind: 'response', status: 200 });
  });

  it('fails an attempt whose body is still trickling in when the timeout ends, though its status was 200', async () => {
    expect(await send('/trickle')).toMatchObject({ kind: 'error', error: 'timeout after 300 ms' });
  });

  it('fails an attempt whose connection closes before the body ends', async () => {
    expect(await send('/cut-off')).toMatchObject({ kind: 'error', error: expect.stringMatching(/^connection failed/) as string });
  });
});
