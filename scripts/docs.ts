import { readFile, writeFile } from 'node:fs/promises';
import { openApiPath, renderOpenApi } from './openapi-file.js';
import { readmePath, renderReadme } from './readme-tables.js';

/** `npm run docs`: rewrites README.md's generated tables and openapi.json from their declarations. */
const rewrite = async (path: string, label: string, render: (current: string) => string | Promise<string>): Promise<void> => {
  const current = await readFile(path, 'utf8').catch(() => '');
  const rendered = await render(current);
  if (rendered === current) {
    console.log(`${label} is up to date.`);
  } else {
    await writeFile(path, rendered);
    console.log(`${label}: rewritten.`);
  }
};

await rewrite(readmePath, 'README.md generated tables', renderReadme);
await rewrite(openApiPath, 'openapi.json', renderOpenApi);
