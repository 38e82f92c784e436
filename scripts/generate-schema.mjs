// Writes schema/stagegate.schema.json from the config schema (npm run schema); --check fails when stale.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { configJsonSchema } from '../lib/src/config/schema.js';

const file = new URL('../schema/stagegate.schema.json', import.meta.url);
const text = `${JSON.stringify({ title: 'Stagegate configuration (.github/stagegate.yml)', ...configJsonSchema() }, null, 2)}\n`;
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    /* missing counts as stale */
  }
  if (current !== text) {
    console.error('schema/stagegate.schema.json is stale: run `npm run schema` and commit it');
    process.exit(1);
  }
} else {
  mkdirSync(new URL('../schema/', import.meta.url), { recursive: true });
  writeFileSync(file, text);
  console.log('wrote schema/stagegate.schema.json');
}
