import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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
