// `npm run docs`: rewrites docs/api.md and the README's configuration table from the schemas.
import { writeFileSync } from 'node:fs';
import { API_REFERENCE, README, apiReferenceMarkdown, readmeWithConfiguration } from './docs.ts';

writeFileSync(API_REFERENCE, await apiReferenceMarkdown());
writeFileSync(README, readmeWithConfiguration());
process.stdout.write('wrote docs/api.md and the README configuration table\n');
