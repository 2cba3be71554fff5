/**
 * Items of a replicated table that something acts on later (an outbox event to publish, a
 * webhook delivery to retry) name the region that wrote them. Every region's replica, and every
 * replica's stream, shows every such item; only the region that wrote one acts on it, so a
 * replicated event is published once, not once per region. Items written before they carried
 * an origin, and single-region deployments, act as before.
 */
export interface Originated {
  /** The region that wrote the item (AWS_REGION); absent on items older than multi-region support. */
  readonly origin?: string;
}

const thisRegion = (): string | undefined => {
  const region = process.env.AWS_REGION;
  return region === undefined || region === '' ? undefined : region;
};

/** The origin to write on a new item. */
export const originHere = (): Originated => {
  const region = thisRegion();
  return region === undefined ? {} : { origin: region };
};

/** Whether this region is the one to act on an item. */
export const writtenHere = (item: Originated): boolean => item.origin === undefined || item.origin === thisRegion();
