// Writes schema/strata.schema.json, the JSON Schema of strata.yaml, from the zod schema in
// src/project/config-schema.ts as built in dist/. Run with `npm run schema` (which builds first).
// src/project/config.test.ts fails when the published file differs from a fresh generation.
import { writeFileSync } from 'node:fs';

const { strataJsonSchema } = await import('../dist/project/config-schema.js');
const target = new URL('../schema/strata.schema.json', import.meta.url);
writeFileSync(target, JSON.stringify(strataJsonSchema(), null, 2) + '\n');
console.log('wrote schema/strata.schema.json');
