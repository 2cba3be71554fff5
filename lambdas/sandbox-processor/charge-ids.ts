import { encodeTime, monotonicFactory } from 'ulidx';
import type { ProcessorChargeId } from './charge.js';

/**
 * Charge ids are `pch_` + a ULID, so sorting ids sorts charges by creation time: the listing
 * partition uses the id as its sort key, and "created at or after T" is a key range.
 */
const prefix = 'pch_';
const ulid = monotonicFactory();
const idPattern = /^pch_[0-9A-HJKMNP-TV-Z]{26}$/;

/** The latest instant a ULID can encode (48-bit milliseconds, year 10889). */
export const maxEncodableTime = 2 ** 48 - 1;

export const newProcessorChargeId = (now: number): ProcessorChargeId => `${prefix}${ulid(now)}` as ProcessorChargeId;

export const parseProcessorChargeId = (raw: string): ProcessorChargeId | undefined =>
  idPattern.test(raw) ? (raw as ProcessorChargeId) : undefined;

/** The smallest id a charge created at `epochMs` can have: its time part and all-zero randomness. */
export const smallestIdAt = (epochMs: number): string => `${prefix}${encodeTime(epochMs, 10)}${'0'.repeat(16)}`;

/** Sorts below every id, for listings without a lower bound. */
export const smallestId = prefix;
