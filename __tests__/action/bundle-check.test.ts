import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, appendFile, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './harness.js';

// `node scripts/bundle.mjs --check` is the CI step that fails when dist/ is stale. Exercised on
// a copy (--outdir) so the committed dist/ is never touched.

let out: string;

const bundle = (...args: string[]) => spawnSync(process.execPath, ['scripts/bundle.mjs', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'stagegate-dist-'));
  const r = bundle('--outdir', out);
  expect(r.status).toBe(0);
}, 120_000);

afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

describe('bundle --check', () => {
  test('a fresh build is up to date, and the build is deterministic', async () => {
    const first = await readFile(join(out, 'index.js'));
    const r = bundle('--check', '--outdir', out);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // The committed dist/ is what a fresh build makes from the same sources.
    expect(Buffer.compare(first, await readFile(join(ROOT, 'dist/index.js')))).toBe(0);
  }, 120_000);

  test('a stale bundle fails the check with a clear message', async () => {
    await appendFile(join(out, 'index.js'), '\n// edited by hand\n');
    const r = bundle('--check', '--outdir', out);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('dist/ is stale:');
    expect(r.stderr).toContain('index.js differs from a fresh build');
    expect(r.stderr).toContain('Run `npm run bundle` and commit dist/.');
  }, 120_000);

  test('a missing bundle or a stray file fails the check', async () => {
    await rm(join(out, 'index.js'));
    await writeFile(join(out, 'old-chunk.js'), 'export {};\n');
    const r = bundle('--check', '--outdir', out);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('index.js is missing');
    expect(r.stderr).toContain('old-chunk.js is not produced by the build');
  }, 120_000);
});
