import type { HttpResponse } from '../http/types.js';
import { problem, problemResponse } from '../http/problem.js';
import { multiRegion } from '../regions/key-owners.js';
import { writtenHere } from '../regions/origin.js';
import type { AccountId } from '../shared/ids.js';
import { parseId } from '../shared/ids.js';
import type { PaymentsStore } from './payments-store.js';

/**
 * A charge's refunds are made in the region that made the charge. Its charge item is updated by
 * every refund, and a table replicated with last-writer-wins keeps only one of two updates made
 * in two regions at once; the processor that holds the charge may also be that region's own (the
 * sandbox). So another region refuses the refund before its key is claimed, naming the region to
 * send it to: nothing is executed or stored, and the same request, key and all, succeeds there.
 *
 * A charge not replicated here yet reads as absent and the refund goes on to answer 404, as a
 * refund of an unknown charge does; single-region deployments skip the read.
 */
export const refundRegionCheck =
  (store: PaymentsStore) =>
  async (request: {
    readonly tenant: AccountId;
    readonly pathParameters: Readonly<Record<string, string | undefined>> | null;
  }): Promise<HttpResponse | undefined> => {
    if (!multiRegion()) return undefined;
    const chargeId = parseId('charge', request.pathParameters?.id ?? '');
    if (chargeId === undefined) return undefined;
    const charge = await store.chargeOrigin(request.tenant, chargeId);
    if (charge?.origin === undefined || writtenHere(charge)) return undefined;
    return problemResponse(
      problem('charge-in-another-region', {
        detail: `Charge ${chargeId} was made in ${charge.origin}; send its refunds there.`,
        extensions: { region: charge.origin },
      }),
    );
  };
