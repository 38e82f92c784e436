import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CSV_COLUMNS, exportRows, type ExportRow } from '../../src/audit/export.js';
import { scenarioEvents, SHA } from '../audit/scenario.js';
import { storeBackends, swapSeqSql, type FreshStore } from '../audit/stores.js';
import { runBin, runMain } from './run.js';

/** RFC 4180 parser (for checking the export, independent of the writer). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || row.length) throw new Error('CSV does not end with CRLF');
  return rows;
}

describe.each(storeBackends())('stagegate audit CLI: %s', (_name, backend) => {
  let fresh: FreshStore;
  const tmp: string[] = [];

  beforeAll(() => backend.start(), 60_000);
  afterAll(async () => {
    await backend.stop();
    for (const d of tmp) rmSync(d, { recursive: true, force: true });
  });
  beforeEach(async () => {
    fresh = await backend.fresh();
    const store = await fresh.open();
    try {
      for (const e of scenarioEvents()) await store.append(e);
    } finally {
      await store.close();
    }
  });

  describe('verify (real process: node bin/stagegate.js)', () => {
    it('exits 0 on intact chains and prints their heads', async () => {
      const r = await runBin(['audit', 'verify', ...fresh.cliArgs]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^ok acme\/api: 1 records intact; head seq 1 hash [0-9a-f]{64}$/m);
      expect(r.stdout).toMatch(/^ok acme\/shop: 17 records intact; head seq 17 hash [0-9a-f]{64}$/m);
      expect(r.stdout).toMatch(/audit verify: 2 chain\(s\) in .*: 2 intact \(exit 0\)/);
    });

    it('exits 3 and names an edited record', async () => {
      await fresh.tamper([`UPDATE audit_records SET actor = 'mallory' WHERE repository = 'acme/shop' AND seq = 4`]);
      const r = await runBin(['audit', 'verify', ...fresh.cliArgs]);
      expect(r.code).toBe(3);
      expect(r.stdout).toMatch(/^EDITED acme\/shop: record seq 4 \(key d-3:approval:502\) was edited/m);
      expect(r.stdout).toMatch(/^ok acme\/api/m);
    });

    it('exits 4 and names the record after a deleted one', async () => {
      await fresh.tamper([`DELETE FROM audit_records WHERE repository = 'acme/shop' AND seq = 7`]);
      const r = await runBin(['audit', 'verify', '--repo', 'acme/shop', ...fresh.cliArgs]);
      expect(r.code).toBe(4);
      expect(r.stdout).toMatch(/^DELETED acme\/shop: record\(s\) deleted before seq 8 \(key deployment:101:status:1\)/m);
      expect(r.stdout).not.toMatch(/acme\/api/);
    });

    it('exits 5 and names a reordered pair', async () => {
      await fresh.tamper(swapSeqSql('acme/shop', 12, 13));
      const r = await runBin(['audit', 'verify', '--json', ...fresh.cliArgs]);
      expect(r.code).toBe(5);
      const report = JSON.parse(r.stdout) as { exitCode: number; chains: Array<{ repository: string; problem: unknown }> };
      expect(report.exitCode).toBe(5);
      expect(report.chains.find((c) => c.repository === 'acme/shop')?.problem).toMatchObject({
        kind: 'reordered',
        seq: 12,
        key: 'deployment:102:status:1',
      });
    });

    it('reads the store from DATABASE_URL / STAGEGATE_DATA_DIR', async () => {
      const [flag, value] = fresh.cliArgs as [string, string];
      const env = flag === '--database-url' ? { DATABASE_URL: value } : { STAGEGATE_DATA_DIR: value };
      const r = await runBin(['audit', 'verify', '--repo', 'acme/api'], env);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^ok acme\/api: 1 records intact/m);
    });
  });

  describe('export', () => {
    it('CSV rows match the recorded promotions', async () => {
      const r = await runBin(['audit', 'export', '--repo', 'acme/shop', '--format', 'csv', ...fresh.cliArgs]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const [header, ...rows] = parseCsv(r.stdout);
      expect(header).toEqual([...CSV_COLUMNS]);
      const col = (row: string[] | undefined, name: (typeof CSV_COLUMNS)[number]): string | undefined => row?.[CSV_COLUMNS.indexOf(name)];
      expect(rows).toHaveLength(3);
      const [staging, production, bypass] = rows;
      expect(col(staging, 'stage')).toBe('staging');
      expect(col(staging, 'pull_request')).toBe('11');
      expect(col(staging, 'range')).toBe(`${SHA.b1}..${SHA.h1}`);
      expect(col(staging, 'commit_count')).toBe('2');
      expect(col(staging, 'authors')).toBe('alice; bob; Carol C');
      expect(col(staging, 'committers')).toBe('alice; web-flow');
      expect(col(staging, 'approvers')).toBe(`dave approved ${SHA.h1} at 2026-11-02T09:20:00Z`);
      expect(col(staging, 'refused_approvals')).toBe(`alice refused (author) on ${SHA.h1}`);
      expect(col(staging, 'gate_state')).toBe('passed');
      expect(col(staging, 'deploy_result')).toBe('success: verified, 2 smoke tests, 1 metric check');
      expect(col(staging, 'verification')).toBe('success: 2/2 smoke, 1/1 metrics');
      expect(col(staging, 'rollback')).toBe('');
      expect(col(staging, 'bypass')).toBe('false');
      expect(col(production, 'deployment_id')).toBe('102');
      expect(col(production, 'verification')).toBe('rolled_back (metric-threshold): 5xx ratio, "too high", 0.04');
      expect(col(production, 'rollback')).toBe(`to ${SHA.p0} (success, deployment 103)`);
      expect(col(bypass, 'bypass')).toBe('true');
      expect(col(bypass, 'deployment_id')).toBe('');
      expect(col(bypass, 'bypass_reasons')).toBe('signoff: 0 of 1 approvals; checks: test failed');
    });

    it('JSON is the rows exactly, filtered by stage and dates', async () => {
      const store = await fresh.open();
      let expected: ExportRow[] = [];
      try {
        for await (const row of exportRows(store, { repository: 'acme/shop' })) expected.push(row);
      } finally {
        await store.close();
      }
      const all = await runMain(['audit', 'export', '--repo', 'acme/shop', '--format', 'json', ...fresh.cliArgs]);
      expect(all.code).toBe(0);
      expect(JSON.parse(all.stdout)).toEqual(JSON.parse(JSON.stringify(expected)));
      const prod = await runMain(['audit', 'export', '--repo', 'acme/shop', '--format', 'json', '--stage', 'production', ...fresh.cliArgs]);
      expect((JSON.parse(prod.stdout) as ExportRow[]).map((r) => r.deploymentId)).toEqual(['102']);
      const days = await runMain(['audit', 'export', '--repo', 'acme/shop', '--format', 'json', '--since', '2026-11-04', '--until', '2026-11-06', ...fresh.cliArgs]);
      expected = expected.filter((r) => r.at >= '2026-11-04' && r.at < '2026-11-07');
      expect((JSON.parse(days.stdout) as ExportRow[]).map((r) => r.auditSeq)).toEqual(expected.map((r) => r.auditSeq));
      expect(expected.map((r) => r.pullRequest)).toEqual([12, 13]);
      const none = await runMain(['audit', 'export', '--repo', 'acme/none', '--format', 'json', ...fresh.cliArgs]);
      expect(none.code).toBe(0);
      expect(JSON.parse(none.stdout)).toEqual([]);
    });

    it('--out writes the file whole and reports the row count', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'stagegate-export-'));
      tmp.push(dir);
      const r = await runMain(['audit', 'export', '--repo', 'acme/shop', '--format', 'csv', '--out', 'audit.csv', ...fresh.cliArgs], {}, dir);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/exported 3 row\(s\) of acme\/shop to .*audit\.csv/);
      expect(parseCsv(readFileSync(join(dir, 'audit.csv'), 'utf8'))).toHaveLength(4);
    });
  });
});

describe('stagegate CLI usage errors', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'stagegate-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    [['audit', 'export', '--format', 'csv'], /--repo owner\/name is required/],
    [['audit', 'export', '--repo', 'acme/shop'], /--format csv\|json is required/],
    [['audit', 'export', '--repo', 'acme/shop', '--format', 'xml'], /--format: expected csv or json, got "xml"/],
    [['audit', 'export', '--repo', 'acme', '--format', 'csv'], /--repo: expected owner\/name/],
    [['audit', 'export', '--repo', 'a/b', '--format', 'csv', '--since', '2026-02-30'], /--since: "2026-02-30" is not a valid date/],
    [['audit', 'export', '--repo', 'a/b', '--format', 'csv', '--until', '2026-11-22T10:00'], /--until: expected YYYY-MM-DD or an ISO 8601 time with a zone/],
    [['audit', 'export', '--repo', 'a/b', '--format', 'csv', '--since', '2026-11-05', '--until', '2026-11-01'], /--since must be before --until/],
    [['audit', 'verify', '--format', 'csv'], /--format is not an option of "audit verify"/],
    [['audit', 'verify', '--bogus'], /Unknown option '--bogus'/],
    [['audit', 'frobnicate'], /unknown command "audit frobnicate"/],
  ])('%j exits 2: %s', async (args, message) => {
    const r = await runMain(args, {}, dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('refuses to verify a data directory without a database (fails closed)', async () => {
    const r = await runMain(['audit', 'verify', '--data-dir', join(dir, 'nothing-here')], {}, dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no audit database at .*nothing-here\/stagegate\.db/);
    expect(existsSync(join(dir, 'nothing-here'))).toBe(false);
  });

  it('names the database it cannot reach', async () => {
    const r = await runMain(['audit', 'verify'], { DATABASE_URL: 'postgres://u:secret@127.0.0.1:1/x' }, dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot connect to PostgreSQL at postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/x/);
    expect(r.stderr).not.toMatch(/secret/);
  });

  it('prints usage on --help', async () => {
    const r = await runMain(['--help'], {}, dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/stagegate audit verify/);
    expect(r.stdout).toMatch(/0 intact, 3 a record was edited, 4 records were deleted/);
  });
});
