import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { verifyChain } from '../../src/audit/verify.js';
import { storeBackends } from './stores.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const OPEN = join(ROOT, 'lib/src/audit/open.js');

/** One app-like process appending `count` events through the compiled store. */
function writer(name: string, count: number, cliArgs: string[]): Promise<{ code: number; stderr: string }> {
  const opts = cliArgs[0] === '--database-url' ? { databaseUrl: cliArgs[1] } : { dataDir: cliArgs[1] };
  const script = `
    const { openAuditStore } = await import(${JSON.stringify(pathToFileURL(OPEN).href)});
    const store = await openAuditStore({ ...${JSON.stringify(opts)}, env: {} });
    for (let i = 0; i < ${count}; i++) {
      await store.append({ key: '${name}-' + i, repository: 'acme/shop', stage: 'production', pullRequest: 1,
        baseSha: null, headSha: null, actor: '${name}', kind: 'gate.result', at: new Date().toISOString(), details: { i } });
      if (i % 10 === 0) await store.append({ key: 'shared-' + i, repository: 'acme/shop', stage: 'production',
        pullRequest: 1, baseSha: null, headSha: null, actor: '${name}', kind: 'gate.result', at: new Date().toISOString(), details: {} });
    }
    await store.close();`;
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    child.on('error', rej);
    child.on('close', (code) => res({ code: code ?? -1, stderr }));
  });
}

describe.each(storeBackends())('audit store shared by several processes: %s', (_name, backend) => {
  beforeAll(() => backend.start(), 60_000);
  afterAll(() => backend.stop());

  it('three processes migrating and appending at once leave one intact chain, each delivery once', async () => {
    if (!existsSync(OPEN)) throw new Error(`${OPEN} is missing: build first with \`npx tsc -p tsconfig.build.json\` (npm test does)`);
    const fresh = await backend.fresh();
    const results = await Promise.all(['p1', 'p2', 'p3'].map((n) => writer(n, 60, fresh.cliArgs)));
    expect(results).toEqual([
      { code: 0, stderr: '' },
      { code: 0, stderr: '' },
      { code: 0, stderr: '' },
    ]);
    const store = await fresh.open();
    try {
      const keys: string[] = [];
      for await (const r of store.records('acme/shop')) keys.push(r.key);
      expect(keys).toHaveLength(3 * 60 + 6);
      expect(new Set(keys).size).toBe(keys.length);
      const report = await verifyChain(store, 'acme/shop');
      expect(report.problem).toBeNull();
      expect(report.head?.seq).toBe(keys.length);
    } finally {
      await store.close();
    }
  }, 60_000);
});
