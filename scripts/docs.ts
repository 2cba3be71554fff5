import { readFile, writeFile } from 'node:fs/promises';
import { readmePath, renderReadme } from './readme-tables.js';

/** `npm run docs`: rewrites README.md's generated tables from their declarations. */
const current = await readFile(readmePath, 'utf8');
const rendered = renderReadme(current);
if (rendered === current) {
  console.log('README.md is up to date.');
} else {
  await writeFile(readmePath, rendered);
  console.log('README.md: generated tables rewritten.');
}
