import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { readmePath, renderReadme } from '../../scripts/readme-tables.js';

describe('README.md', () => {
  it('shows the settings tables as their declarations stand (npm run docs rewrites them)', async () => {
    const readme = await readFile(readmePath, 'utf8');
    expect(renderReadme(readme), 'README.md is out of date with its declarations: run npm run docs').toBe(readme);
  });
});
