import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, appendFile, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './harness.js';

// `node scripts/bundle.mjs --check` is the CI step (scripts/test.sh) that fails when the committed
// dist/ is stale. Exercised here on copies (--outdir) so the committed dist/ is never touched.

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
  it('a fresh build is up to date, and the build is deterministic', async () => {
    const first = await readFile(join(out, 'index.js'));
    const r = bundle('--check', '--outdir', out);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // A second build is byte-identical (no timestamps, no absolute paths).
    const again = await mkdtemp(join(tmpdir(), 'stagegate-dist-'));
    try {
      expect(bundle('--outdir', again).status).toBe(0);
      expect(Buffer.compare(first, await readFile(join(again, 'index.js')))).toBe(0);
    } finally {
      await rm(again, { recursive: true, force: true });
    }
  }, 120_000);

  it('a stale bundle fails the check with a clear message', async () => {
    await appendFile(join(out, 'index.js'), '\n// edited by hand\n');
    const r = bundle('--check', '--outdir', out);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('dist/ is stale:');
    expect(r.stderr).toContain('index.js differs from a fresh build');
    expect(r.stderr).toContain('Run `npm run bundle` and commit dist/.');
  }, 120_000);

  it('a missing bundle or a stray file fails the check', async () => {
    await rm(join(out, 'index.js'));
    await writeFile(join(out, 'old-chunk.js'), 'export {};\n');
    const r = bundle('--check', '--outdir', out);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('index.js is missing');
    expect(r.stderr).toContain('old-chunk.js is not produced by the build');
  }, 120_000);
});
