import { createServer, type Server } from 'node:http';
import { webhookConsumer } from '../../lambdas/webhook-consumer/index.js';

export const webhookReceiver = (secrets: string[], tableName: string, shippingUrl: string): Server => {
  const receive = webhookConsumer({
    secrets, // the endpoint's whsec_ secret; during your own rotation, the old and the new one
    idempotency: { tableName }, // partition key "pk" (S), TTL attribute "expiresAt"
    work: async (event, { downstreamKey }) => {
      if (event.type !== 'charge.succeeded') return;
      const headers = { 'Content-Type': 'application/json', 'Idempotency-Key': downstreamKey('ship') };
      const shipped = await fetch(shippingUrl, { method: 'POST', headers, body: JSON.stringify(event.data.object) });
      if (!shipped.ok) throw new Error(`Shipping answered ${shipped.status}`); // released: a redelivery ships
    },
  });
  return createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      receive({ headers: request.headers, body: Buffer.concat(chunks) }).then(
        (answer) => response.writeHead(answer.statusCode, answer.headers).end(answer.body),
        () => response.writeHead(500).end(), // e.g. DynamoDB unreachable: Retrysafe retries
      );
    });
  });
};
