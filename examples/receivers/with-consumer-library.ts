import { webhookConsumer, webhookLambda } from '../../lambdas/webhook-consumer/index.js';

export const receiverLambda = (secrets: string[], tableName: string, shippingUrl: string) =>
  webhookLambda(
    webhookConsumer({
      secrets, // the endpoint's whsec_ secret; during your own rotation, the old and the new one
      idempotency: { tableName }, // partition key "pk" (S), TTL attribute "expiresAt"
      work: async (event, { downstreamKey }) => {
        if (event.type !== 'charge.succeeded') return;
        const headers = { 'Content-Type': 'application/json', 'Idempotency-Key': downstreamKey('ship') };
        const shipped = await fetch(shippingUrl, { method: 'POST', headers, body: JSON.stringify(event.data.object) });
        if (!shipped.ok) throw new Error(`Shipping answered ${shipped.status}`); // released: a redelivery ships
      },
    }),
  );
