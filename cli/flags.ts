import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { TableName } from '../lambdas/topology.js';

/** A flag the command does not know, or a value it refuses: exit 2 with the usage. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** `--payments-table` for `payments`, `--rate-limits-table` for `rateLimits`. */
export const tableFlag = (table: TableName): string => `${table.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}-table`;

/** The stack output that names a table: `PaymentsTableName`. */
export const tableOutputName = (table: TableName): string => `${table.charAt(0).toUpperCase()}${table.slice(1)}TableName`;

/** Parsed flags, read as text; node:util's own errors become UsageErrors. */
export const parseFlags = (
  argv: readonly string[],
  options: NonNullable<ParseArgsConfig['options']>,
): { readonly text: (flag: string) => string | undefined; readonly has: (flag: string) => boolean } => {
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], strict: true, options }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  return {
    text: (flag) => {
      const value = values[flag];
      return typeof value === 'string' ? value : undefined;
    },
    has: (flag) => values[flag] !== undefined,
  };
};

export const urlFlag = (raw: string, flag: string): string => {
  if (!URL.canParse(raw) || !/^https?:$/.test(new URL(raw).protocol))
    throw new UsageError(`--${flag} must be an http(s) URL, got "${raw}"`);
  return raw;
};

export const wholeNumberFlag = (raw: string | undefined, flag: string, min: number): number | undefined => {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min)
    throw new UsageError(`--${flag} must be a whole number of at least ${min}, got "${raw}"`);
  return value;
};

/** The tables' names from their flags, or a UsageError naming every one missing and the output it comes from. */
export const tablesFromFlags = <T extends TableName>(
  tables: readonly T[],
  text: (flag: string) => string | undefined,
  because: string,
): Record<T, string> => {
  const missing = tables.filter((table) => text(tableFlag(table)) === undefined);
  if (missing.length > 0)
    throw new UsageError(`${because}, also give ${missing.map((table) => `--${tableFlag(table)} (${tableOutputName(table)})`).join(', ')}`);
  return Object.fromEntries(tables.map((table) => [table, text(tableFlag(table))])) as Record<T, string>;
};

/** One usage line per table flag. */
export const tableFlagUsage = (tables: readonly TableName[]): string =>
  tables.map((table) => `  --${tableFlag(table)} <name>`.padEnd(32) + ` the ${tableOutputName(table)} output`).join('\n');
