import { encodeTime, monotonicFactory } from 'ulidx';

/**
 * The processor's ids are a prefix + a ULID, so sorting ids sorts objects by creation time: a
 * listing partition uses the id as its sort key, and "created at or after T" is a key range.
 */
export interface ObjectIds<Id extends string> {
  next(now: number): Id;
  parse(raw: string): Id | undefined;
  /** The smallest id an object created at `epochMs` can have: its time part and all-zero randomness. */
  smallestAt(epochMs: number): string;
  /** Sorts below every id, for listings without a lower bound. */
  readonly smallest: string;
}

/** The latest instant a ULID can encode (48-bit milliseconds, year 10889). */
export const maxEncodableTime = 2 ** 48 - 1;

const ulid = monotonicFactory();

export const objectIds = <Id extends string>(prefix: `${string}_`): ObjectIds<Id> => {
  const pattern = new RegExp(`^${prefix}[0-9A-HJKMNP-TV-Z]{26}$`);
  return {
    next: (now) => `${prefix}${ulid(now)}` as Id,
    parse: (raw) => (pattern.test(raw) ? (raw as Id) : undefined),
    smallestAt: (epochMs) => `${prefix}${encodeTime(epochMs, 10)}${'0'.repeat(16)}`,
    smallest: prefix,
  };
};
