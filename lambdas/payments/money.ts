import { z } from 'zod';

/**
 * Currencies Retrysafe accepts, lowercase ISO 4217. Amounts are always integers in the
 * currency's minor unit (cents; for zero-decimal currencies such as JPY, the unit itself).
 */
export const supportedCurrencies = [
  'aud',
  'brl',
  'cad',
  'chf',
  'czk',
  'dkk',
  'eur',
  'gbp',
  'hkd',
  'huf',
  'inr',
  'jpy',
  'krw',
  'mxn',
  'nok',
  'nzd',
  'pln',
  'sek',
  'sgd',
  'usd',
  'zar',
] as const;

export type Currency = (typeof supportedCurrencies)[number];

export const maxAmount = 99_999_999;

export const currencySchema = z.enum(supportedCurrencies, {
  error: () => `must be a lowercase ISO 4217 code, one of: ${supportedCurrencies.join(', ')}`,
});

export const amountSchema = z
  .number({ error: 'must be an integer amount in minor units' })
  .int({ error: 'must be an integer amount in minor units' })
  .min(1, { error: 'must be at least 1' })
  .max(maxAmount, { error: `must be at most ${maxAmount}` });
