import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { readContract, schemaPath, schemaSource } from '../../clients/typescript/scripts/schema-source.js';

describe('the client’s generated types', () => {
  it('are what openapi.json generates (npm run generate -w @retrysafe/client)', async () => {
    expect(await readFile(schemaPath, 'utf8'), 'clients/typescript/src/schema.ts is stale: run npm run generate -w @retrysafe/client').toBe(
      await schemaSource(await readContract()),
    );
  });
});
