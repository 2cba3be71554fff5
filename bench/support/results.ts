import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MachineInfo } from './machine.js';

/** What every request-path benchmark writes: where it ran, how, and one figure set per path. */
export interface PathBenchmarkResult<TName extends string, TPath> {
  readonly benchmark: TName;
  readonly generatedAt: string;
  readonly machine: MachineInfo;
  readonly parameters: { readonly requestsPerPattern: number; readonly concurrency: number; readonly warmupRequests: number };
  readonly paths: readonly TPath[];
  readonly notes: readonly string[];
}

/** bench/results: generated output, not committed. */
const resultsDirectory = resolve(dirname(fileURLToPath(import.meta.url)), '../results');

export const resultsFile = (name: string): string => resolve(resultsDirectory, name);

export const writeTextFile = (path: string, text: string): void => {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
};

export const writeJsonFile = (path: string, value: unknown): void => {
  writeTextFile(path, `${JSON.stringify(value, null, 2)}\n`);
};
