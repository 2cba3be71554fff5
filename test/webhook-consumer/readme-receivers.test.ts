import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receiverLambda } from '../../examples/receivers/with-consumer-library.js';
import { verifiedEvent } from '../../examples/receivers/with-standardwebhooks.js';
import { downstreamKeyFor } from '../../lambdas/webhook-consumer/index.js';
import { generateSecret } from '../../lambdas/webhooks/signing.js';
import { chargeSucceeded, createTables, receiptsTableSpec, signedAt, webhookOf } from './fixtures.js';

const root = resolve(import.meta.dirname, '../..');

/** The fenced block the README shows right after `<!-- path -->`. */
const readmeSnippet = (readme: string, path: string): string | undefined =>
  new RegExp(`<!-- ${path.replaceAll('.', '\\.')} -->\\n\`\`\`ts\\n([\\s\\S]*?)\\n\`\`\``).exec(readme)?.[1];

const listening = async (server: Server): Promise<string> => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

describe("the README's receivers", () => {
  it('are the files this test runs, verbatim', async () => {
    const readme = await readFile(resolve(root, 'README.md'), 'utf8');
    for (const path of ['examples/receivers/with-consumer-library.ts', 'examples/receivers/with-standardwebhooks.ts']) {
      expect(readmeSnippet(readme, path), path).toBe((await readFile(resolve(root, path), 'utf8')).trimEnd());
    }
  });

  describe('with the consumer library', () => {
    const secret = generateSecret();
    const shipments: { key: string | undefined; body: string }[] = [];
    const shipping = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        shipments.push({ key: request.headers['idempotency-key'] as string | undefined, body: Buffer.concat(chunks).toString() });
        response.writeHead(201).end();
      });
    });
    let receiver: ReturnType<typeof receiverLambda>;

    beforeAll(async () => {
      const { receipts } = await createTables('readme-receiver', { receipts: receiptsTableSpec });
      receiver = receiverLambda([secret], receipts, await listening(shipping));
    });

    afterAll(() => {
      shipping.close();
    });

    it('ships once per Retrysafe-signed webhook, with the key derived from its event', async () => {
      const webhook = webhookOf(chargeSucceeded('ch_readme'));
      // As API Gateway hands the Lambda a delivery.
      const post = async (headers: Record<string, string>) => ({
        status: (
          await receiver(
            { headers: { ...headers, 'Content-Type': 'application/json' }, body: webhook.body, isBase64Encoded: false },
            { getRemainingTimeInMillis: () => 10_000 },
          )
        ).statusCode,
      });
      const concurrent = await Promise.all([1, 2, 3].map(() => post(signedAt(webhook, [secret], Date.now()))));
      const later = await post(signedAt(webhook, [secret], Date.now()));
      const forged = await post(signedAt(webhook, [generateSecret()], Date.now()));

      expect(concurrent.map((answer) => answer.status).filter((status) => status === 200).length).toBeGreaterThanOrEqual(1);
      expect(concurrent.every((answer) => answer.status === 200 || answer.status === 503)).toBe(true);
      expect([later.status, forged.status]).toEqual([200, 401]);
      expect(shipments).toEqual([{ key: downstreamKeyFor(webhook.event.id, 'ship'), body: JSON.stringify(webhook.event.data.object) }]);
    });
  });

  describe('with the standardwebhooks package', () => {
    it('verifies what Retrysafe signs, through a rotation, and refuses the rest', () => {
      const [old, current] = [generateSecret(), generateSecret()];
      const webhook = webhookOf(chargeSucceeded('ch_standard'));
      const duringRotation = signedAt(webhook, [old, current], Date.now());

      expect(verifiedEvent(current, duringRotation, webhook.body)).toMatchObject({ id: webhook.event.id, type: 'charge.succeeded' });
      expect(verifiedEvent(old, duringRotation, webhook.body)).toMatchObject({ id: webhook.event.id });
      expect(() => verifiedEvent(generateSecret(), duringRotation, webhook.body)).toThrow();
      expect(() => verifiedEvent(current, duringRotation, webhook.body.replace('ch_standard', 'ch_forged'))).toThrow();
      expect(() => verifiedEvent(current, signedAt(webhook, [current], Date.now() - 6 * 60 * 1000), webhook.body)).toThrow();
    });
  });
});
