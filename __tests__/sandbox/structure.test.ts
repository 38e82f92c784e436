import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from '@jest/globals';
import { routeTables, servedOperations } from '../../sandbox/routes/index.js';

const require = createRequire(import.meta.url);
const spec = JSON.parse(readFileSync(require.resolve('@octokit/openapi/generated/api.github.com.json'), 'utf8')) as {
  paths: Record<string, Record<string, { operationId?: string; 'x-github'?: { category?: string } }>>;
};
const categoryOf = new Map<string, string>();
for (const ops of Object.values(spec.paths)) for (const op of Object.values(ops)) if (op.operationId) categoryOf.set(op.operationId, op['x-github']?.category ?? '');

describe('sandbox layout', () => {
  it('keeps each served operation in routes/<its x-github.category>.ts', () => {
    const misplaced: string[] = [];
    for (const [file, table] of Object.entries(routeTables)) {
      for (const op of Object.keys(table)) if (categoryOf.get(op) !== file) misplaced.push(`${op} is in routes/${file}.ts, its category is ${categoryOf.get(op) ?? 'none (not a GitHub operation)'}`);
    }
    expect(misplaced).toEqual([]);
    expect(servedOperations.size).toBe(Object.values(routeTables).reduce((n, t) => n + Object.keys(t).length, 0));
  });

  it('lists every routes/<category>.ts file in the route registry', () => {
    const files = readdirSync(new URL('../../sandbox/routes/', import.meta.url))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => f.replace(/\.ts$/, ''))
      .filter((f) => !['index', 'route', 'helpers', 'match'].includes(f));
    expect(files.sort()).toEqual(Object.keys(routeTables).sort());
  });
});
