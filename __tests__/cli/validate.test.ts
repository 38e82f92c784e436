import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitHubSandbox } from '../../sandbox/github-sandbox.js';
import type { ValidateReport } from '../../src/cli/validate.js';
import { ROOT, runBin } from './run.js';

const example = readFileSync(join(ROOT, '__tests__/fixtures/product-example.yml'), 'utf8');

describe('stagegate validate (real process: node bin/stagegate.js)', () => {
  let dir: string;
  const file = (name: string, text: string): string => {
    writeFileSync(join(dir, name), text);
    return name;
  };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'stagegate-validate-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0 on a valid file and names its stages', async () => {
    const r = await runBin(['validate', file('good.yml', example)], {}, dir);
    expect(r).toEqual({ code: 0, stdout: '✓ good.yml is valid: 2 stages, staging (master → staging), production (staging → production)\n', stderr: '' });
  });

  it('reads .github/stagegate.yml by default', async () => {
    const repo = mkdtempSync(join(dir, 'repo-'));
    rmSync(repo, { recursive: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(repo, '.github'), { recursive: true });
    writeFileSync(join(repo, '.github/stagegate.yml'), example);
    const r = await runBin(['validate'], {}, repo);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^✓ \.github\/stagegate\.yml is valid/);
  });

  it('exits 1 and prints every problem at once, file:line:col: key.path: message, cross-field ones included', async () => {
    const bad = example
      .replace('approvals: 2\n      reviewers', 'aprovals: 2\n      reviewers')
      .replace('days: [mon, tue, wed, thu]', 'days: [mon, tues, wed, thu]')
      .replace('timezone: Europe/Berlin', 'timezone: Europe/Berln')
      .replace('from: 2026-12-20, to: 2027-01-04', 'from: 2027-01-04, to: 2026-12-20')
      .replace('soak: 30m', 'soak: 1h30m');
    const r = await runBin(['validate', file('bad.yml', bad)], {}, dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toEqual([
      'bad.yml:32:7: stages[1].signoff.aprovals: unknown key "aprovals" (did you mean "approvals"?)',
      'bad.yml:39:23: stages[1].windows[0].days[1]: must be one of "mon", "tue", "wed", "thu", "fri", "sat", "sun", not the text "tues" (did you mean "tue"?)',
      'bad.yml:39:72: stages[1].windows[0].timezone: is not an IANA time zone such as Europe/Berlin, America/New_York or UTC (did you mean "Europe/Berlin"?)',
      'bad.yml:41:33: stages[1].freeze[0].to: is before from (2027-01-04): the freeze would never start; swap from and to',
      '✗ 4 problems in bad.yml',
      '',
    ]);
  });

  it('--format json gives editors and CI the located errors', async () => {
    const r = await runBin(['validate', file('typo.yml', example.replace('verified_in: staging', 'verified_in: stagin')), '--format', 'json'], {}, dir);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as ValidateReport;
    expect(report).toMatchObject({ file: 'typo.yml', valid: false, extendsFrom: null, notes: [], stages: [] });
    expect(report.errors).toEqual([
      {
        file: 'typo.yml',
        line: 36,
        column: 18,
        path: 'stages[1].verified_in',
        message: 'names no stage ("stagin"; the stages are "staging", "production")',
        suggestion: 'staging',
        text: 'typo.yml:36:18: stages[1].verified_in: names no stage ("stagin"; the stages are "staging", "production") (did you mean "staging"?)',
      },
    ]);
  });

  it('reports a YAML syntax error at its line', async () => {
    const r = await runBin(['validate', file('syntax.yml', 'stages:\n  - name: "staging\n')], {}, dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('syntax.yml:3:1: a text in "double quotes" is not closed\n✗ 1 problem in syntax.yml\n');
  });

  it('checks a file with _extends alone, with a note, when no token is set', async () => {
    const r = await runBin(['validate', file('ext.yml', '_extends: .github\nstages:\n  - name: production\n    checks: [build]\n')], {}, dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('note: _extends ".github" not resolved: set GITHUB_TOKEN to merge it in; checked this file alone (keys the defaults may provide are not required)\n');
    const bad = await runBin(['validate', file('ext-bad.yml', '_extends: .github\nstages:\n  - name: production\n    checkz: [build]\n')], {}, dir);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^ext-bad\.yml:4:5: stages\[0\]\.checkz: unknown key "checkz" \(did you mean "checks"\?\)$/m);
  });

  it.each([
    [['validate', 'missing.yml'], /^stagegate: no such file: missing\.yml/],
    [['validate', 'a.yml', 'b.yml'], /unknown command "validate a\.yml b\.yml"/],
    [['validate', '--format', 'xml'], /--format: expected text or json, got "xml"/],
    [['validate', '--stage', 'x'], /--stage is not an option of "validate"/],
  ])('%j exits 2', async (args, message) => {
    const r = await runBin(args, {}, dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('prints the JSON Schema', async () => {
    const r = await runBin(['schema'], {}, dir);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(readFileSync(join(ROOT, 'schema/stagegate.schema.json'), 'utf8')));
  });
});

describe('stagegate validate resolves _extends through GitHub (the sandbox) with a token', () => {
  let sb: GitHubSandbox;
  let dir: string;
  beforeAll(async () => {
    sb = await GitHubSandbox.start();
    sb.createUser({ login: 'alice', email: 'alice@acme.test' });
    sb.createOrg({ login: 'acme' });
    await sb.createRepo({
      owner: 'acme',
      name: '.github',
      defaultBranch: 'main',
      author: 'alice',
      files: { '.github/stagegate.yml': 'stages:\n  - name: production\n    branch: production\n    from: staging\n    signoff: { approvals: 2 }\n    soak: 30m\n' },
    });
    sb.addCollaborator('acme/.github', 'alice', 'read');
    dir = mkdtempSync(join(tmpdir(), 'stagegate-validate-ext-'));
  }, 60_000);
  afterAll(async () => {
    await sb.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('merges the org defaults and validates the result, naming the file each problem is in', async () => {
    writeFileSync(
      join(dir, 'ok.yml'),
      '_extends: .github\nstages:\n  - { name: staging, branch: staging, from: master }\n  - name: production\n    branch: production\n    from: staging\n    verified_in: staging\n',
    );
    writeFileSync(join(dir, 'bad.yml'), '_extends: .github\nstages:\n  - name: production\n    branch: production\n    from: staging\n');
    const env = { GITHUB_TOKEN: sb.tokenFor('alice'), GITHUB_API_URL: sb.apiUrl };
    const bad = await runBin(['validate', 'bad.yml', '--repo', 'acme/shop'], env, dir);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe(
      'acme/.github:.github/stagegate.yml:6:11: stages[0].soak: needs verified_in (soak is how long ago the verification in that stage must have succeeded)\n✗ 1 problem in bad.yml\n',
    );
    const ok = await runBin(['validate', 'ok.yml', '--repo', 'acme/shop', '--format', 'json'], env, dir);
    const report = JSON.parse(ok.stdout) as ValidateReport;
    expect(ok.code).toBe(0);
    expect(report).toMatchObject({ valid: true, extendsFrom: 'acme/.github:.github/stagegate.yml', notes: [] });
    expect(report.stages.map((s) => s.name)).toEqual(['production', 'staging']);
  });

  it('says when the extended file is not there', async () => {
    writeFileSync(join(dir, 'gone.yml'), '_extends: acme/policies\nstages:\n  - { name: a, branch: a, from: b }\n');
    const r = await runBin(['validate', 'gone.yml'], { GITHUB_TOKEN: sb.tokenFor('alice'), GITHUB_API_URL: sb.apiUrl }, dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^gone\.yml:1:11: _extends: acme\/policies:\.github\/stagegate\.yml does not exist or is not readable by the app$/m);
  });
});
