import type { CardProcessor, ProcessorUnavailable } from './card-processor.js';
import { unavailable } from './unavailable.js';

/**
 * A processor client that needs something fetched first (the Stripe key from Secrets Manager),
 * built on its first call and kept. Until it can be built, every call is unavailable: nothing
 * reached the processor, so the request is retried as after any outage.
 */
export const deferredProcessor = (build: () => Promise<CardProcessor>): CardProcessor => {
  let built: Promise<CardProcessor> | undefined;
  const processor = async (): Promise<CardProcessor | ProcessorUnavailable> => {
    built ??= build().catch((error: unknown) => {
      built = undefined;
      throw error;
    });
    try {
      return await built;
    } catch (error) {
      return unavailable(
        'server-error',
        `The processor client could not be built: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  };
  const deferred =
    <A extends unknown[], R>(call: (client: CardProcessor, ...args: A) => Promise<R>) =>
    async (...args: A): Promise<R | ProcessorUnavailable> => {
      const client = await processor();
      return 'kind' in client ? client : call(client, ...args);
    };
  return {
    charge: deferred((client, request, signal) => client.charge(request, signal)),
    refund: deferred((client, request, signal) => client.refund(request, signal)),
    findCharge: deferred((client, key, signal) => client.findCharge(key, signal)),
    findRefund: deferred((client, key, signal) => client.findRefund(key, signal)),
    listCharges: deferred((client, query, signal) => client.listCharges(query, signal)),
    listRefunds: deferred((client, query, signal) => client.listRefunds(query, signal)),
  };
};
