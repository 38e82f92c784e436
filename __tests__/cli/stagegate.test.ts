import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CSV_COLUMNS, exportRows, type ExportRow } from '../../src/audit/export.js';
import { scenarioEvents, SHA } from '../audit/scenario.js';
import { storeBackends, swapSeqSql, type FreshStore } from '../audit/stores.js';
import { parseCsv } from '../helpers/csv.js';
import { runBin, runMain } from './run.js';

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
    it('CSV rows carry every field an auditor asks for, in documented columns', async () => {
      const r = await runBin(['audit', 'export', '--repo', 'acme/shop', '--format', 'csv', ...fresh.cliArgs]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const [header, ...rows] = parseCsv(r.stdout);
      expect(header).toEqual([...CSV_COLUMNS]);
      const col = (row: string[] | undefined, name: (typeof CSV_COLUMNS)[number]): string | undefined => row?.[CSV_COLUMNS.indexOf(name)];
      expect(rows).toHaveLength(3);
      const [staging, production, bypass] = rows;
      const values = (row: string[] | undefined) => Object.fromEntries(CSV_COLUMNS.map((c) => [c, col(row, c)]));
      expect(values(staging)).toEqual({
        row_kind: 'deployment',
        repository: 'acme/shop',
        stage: 'staging',
        pull_request: '11',
        pull_request_title: 'Promote master to staging',
        pull_request_url: 'https://github.com/acme/shop/pull/11',
        base_sha: SHA.b1,
        head_sha: SHA.h1,
        deployment_id: '101',
        deployed_sha: SHA.h1,
        deployed_at: '2026-11-02T09:30:00.000Z',
        merged_by: 'erin',
        policy_path: '.github/stagegate.yml',
        policy_ref: SHA.b1,
        policy_blob_sha: 'f'.repeat(40),
        policy_from_default_branch: 'false',
        policy_extends: 'acme/.github:.github/stagegate.yml',
        policy_extends_blob_sha: 'e'.repeat(40),
        commit_count: '2',
        commit_shas: `${'c'.repeat(40)}; ${'d'.repeat(40)}`,
        commits:
          `${'c'.repeat(40)} author alice <alice@example.com> committer alice <alice@example.com> co-authors Carol C <carol@example.com> pushed by alice signature verified; ` +
          `${'d'.repeat(40)} author bob <bob@example.com> committer web-flow <noreply@github.com> signature unverified (unsigned)`,
        authors: 'alice; bob; Carol C',
        committers: 'alice; web-flow',
        approvals_counted: `dave approved ${SHA.h1} at 2026-11-02T09:20:00Z`,
        approvals_refused: `alice refused (author) on ${SHA.h1} at 2026-11-02T09:10:00Z`,
        required_checks: 'build: success (check_run by acme-ci) https://github.com/acme/shop/runs/77',
        rule_results: 'approvals: passed (1 of 1 approvals of the head); required-checks: passed (build succeeded on 1111111)',
        gate_state: 'passed',
        deployment_statuses: 'in_progress at 2026-11-02T09:31:00.000Z; success at 2026-11-02T09:45:00.000Z',
        final_status: 'success',
        final_status_description: 'verified, 2 smoke tests, 1 metric check',
        workflow_run_url: 'https://github.com/acme/shop/actions/runs/1',
        verification_result: 'success',
        verification_reason: '',
        verification_description: '2/2 smoke, 1/1 metrics',
        verification_trusted: '',
        verification_trust_reason: '',
        verification_values: '',
        verification_values_note: 'not recorded (a record made before verification values were recorded)',
        rollback_deployment_id: '',
        rollback_sha: '',
        rollback_state: '',
        bypass: 'false',
        bypass_reasons: '',
        standing_pr: 'false',
        auto_merged: '',
        duty_requested: '',
        release_tag: '',
        release_url: '',
        refused_by: '',
        refusal_reason_code: '',
        refusal_reason: '',
        refused_deployment_requested_by: '',
        refused_run_id: '',
        command: '',
        command_text: '',
        command_by: '',
        command_role: '',
        command_outcome: '',
        command_result: '',
        comment_url: '',
        break_glass_by: '',
        break_glass_reason: '',
        break_glass_waived: '',
        break_glass_follow_up_url: '',
        break_glass_follow_up: '',
        integrity: 'verified',
        audit_seq: '6',
        audit_hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      expect(col(production, 'deployment_id')).toBe('102');
      expect(col(production, 'verification_result')).toBe('rolled_back');
      expect(col(production, 'verification_reason')).toBe('metric-threshold');
      expect(col(production, 'verification_description')).toBe('5xx ratio, "too high", 0.04');
      expect([col(production, 'rollback_deployment_id'), col(production, 'rollback_sha'), col(production, 'rollback_state')]).toEqual(['103', SHA.p0, 'success']);
      expect(col(production, 'policy_path')).toBe('');
      expect([col(bypass, 'row_kind'), col(bypass, 'bypass')]).toEqual(['bypass', 'true']);
      expect(col(bypass, 'deployment_id')).toBe('');
      expect(col(bypass, 'deployed_sha')).toBe(SHA.m3);
      expect(col(bypass, 'bypass_reasons')).toBe('signoff: 0 of 1 approvals; checks: test failed');
    });

    it('JSON is the rows exactly, filtered by stage and dates; NDJSON is the same rows, one per line', async () => {
      const store = await fresh.open();
      let expected: ExportRow[] = [];
      try {
        for await (const row of exportRows(store, { repository: 'acme/shop', brokenFromSeq: null })) expected.push(row);
      } finally {
        await store.close();
      }
      const all = await runMain(['audit', 'export', '--repo', 'acme/shop', '--format', 'json', ...fresh.cliArgs]);
      expect(all.code).toBe(0);
      expect(JSON.parse(all.stdout)).toEqual(JSON.parse(JSON.stringify(expected)));
      const nd = await runMain(['audit', 'export', '--repo', 'acme/shop', '--format', 'ndjson', ...fresh.cliArgs]);
      expect(nd.stdout.endsWith('\n')).toBe(true);
      expect(
        nd.stdout
          .trimEnd()
          .split('\n')
          .map((l) => JSON.parse(l) as unknown),
      ).toEqual(JSON.parse(JSON.stringify(expected)));
      const prod = await runMain(['audit', 'export', '--repo', 'acme/shop', '--format', 'json', '--stage', 'production', ...fresh.cliArgs]);
      expect((JSON.parse(prod.stdout) as ExportRow[]).map((r) => r.deploymentId)).toEqual(['102']);
      const days = await runMain(['audit', 'export', '--repo', 'acme/shop', '--format', 'json', '--since', '2026-11-04', '--until', '2026-11-06', ...fresh.cliArgs]);
      expected = expected.filter((r) => r.at >= '2026-11-04' && r.at < '2026-11-07');
      expect((JSON.parse(days.stdout) as ExportRow[]).map((r) => r.auditSeq)).toEqual(expected.map((r) => r.auditSeq));
      expect(expected.map((r) => r.pullRequest)).toEqual([12, 13]);
    });

    it('exports one or many repositories, or all of them', async () => {
      const ids = async (args: string[]) =>
        (JSON.parse((await runMain(['audit', 'export', '--format', 'json', ...args, ...fresh.cliArgs])).stdout) as ExportRow[]).map((r) => `${r.repository}:${r.deploymentId}`);
      expect(await ids(['--repo', 'acme/api'])).toEqual(['acme/api:201']);
      expect(await ids(['--repo', 'acme/shop', '--repo', 'acme/api'])).toEqual(['acme/api:201', 'acme/shop:101', 'acme/shop:102', 'acme/shop:null']);
      expect(await ids(['--all'])).toEqual(['acme/api:201', 'acme/shop:101', 'acme/shop:102', 'acme/shop:null']);
    });

    it('refuses a broken chain and writes nothing; --allow-broken flags every row from the break on', async () => {
      await fresh.tamper([`UPDATE audit_records SET actor = 'mallory' WHERE repository = 'acme/shop' AND seq = 12`]);
      const refused = await runBin(['audit', 'export', '--repo', 'acme/shop', '--repo', 'acme/api', '--format', 'csv', ...fresh.cliArgs]);
      expect(refused.code).toBe(3);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toMatch(
        /^stagegate: audit export refused: acme\/shop: record seq 12 \(key deployment:102:created\) was edited: its content does not match its hash\. Nothing was exported/,
      );
      const dir = mkdtempSync(join(tmpdir(), 'stagegate-export-'));
      tmp.push(dir);
      const toFile = await runMain(['audit', 'export', '--repo', 'acme/shop', '--format', 'csv', '--out', 'x.csv', ...fresh.cliArgs], {}, dir);
      expect(toFile.code).toBe(3);
      expect(existsSync(join(dir, 'x.csv'))).toBe(false);
      const allowed = await runBin(['audit', 'export', '--repo', 'acme/shop', '--repo', 'acme/api', '--format', 'json', '--allow-broken', ...fresh.cliArgs]);
      expect(allowed.code).toBe(3);
      expect(allowed.stderr).toMatch(/warning: acme\/shop is broken .*rows from seq 12 on are marked integrity=after-break/);
      const rows = JSON.parse(allowed.stdout) as ExportRow[];
      expect(rows.map((r) => [r.repository, r.auditSeq, r.integrity])).toEqual([
        ['acme/api', 1, 'verified'],
        ['acme/shop', 6, 'verified'],
        ['acme/shop', 12, 'after-break'],
        ['acme/shop', 17, 'after-break'],
      ]);
    });

    it('--out writes the file whole and reports the row count', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'stagegate-export-'));
      tmp.push(dir);
      const r = await runMain(['audit', 'export', '--repo', 'acme/shop', '--format', 'csv', '--out', 'audit.csv', ...fresh.cliArgs], {}, dir);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/exported 3 row\(s\) of acme\/shop to .*audit\.csv; 1 of 1 chain\(s\) verified intact first/);
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
    [['audit', 'export', '--format', 'csv'], /--repo owner\/name \(repeatable\) or --all is required/],
    [['audit', 'export', '--repo', 'acme/shop', '--all', '--format', 'csv'], /--repo and --all cannot be combined/],
    [['audit', 'export', '--repo', 'acme/shop'], /--format csv\|json\|ndjson is required/],
    [['audit', 'export', '--repo', 'acme/shop', '--format', 'xml'], /--format: expected csv, json or ndjson, got "xml"/],
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
