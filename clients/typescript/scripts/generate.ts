import { writeFile } from 'node:fs/promises';
import { readContract, schemaPath, schemaSource } from './schema-source.js';

/** Regenerates src/schema.ts from the repository's openapi.json, or from the file named as the first argument. */
await writeFile(schemaPath, await schemaSource(await readContract(process.argv[2])));
console.log(`Wrote ${schemaPath}`);
