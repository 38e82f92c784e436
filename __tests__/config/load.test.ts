import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { formatConfigError, gitBlobSha, loadConfig, parseConfig, type ConfigSource } from '../../src/config/load.js';

const example = readFileSync(new URL('../fixtures/product-example.yml', import.meta.url), 'utf8');

function source(files: Record<string, string>): ConfigSource & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    async read({ owner, repo, path, ref }) {
      const key = `${owner}/${repo}@${ref ?? 'HEAD'}:${path}`;
      reads.push(key);
      return files[key] ?? null;
    },
  };
}

describe('parseConfig', () => {
  it('accepts the configuration contract from PRODUCT.md and applies defaults', () => {
    const r = parseConfig(example);
    if (!r.ok) throw new Error(r.errors.map(formatConfigError).join('\n'));
    const [staging, production] = r.config.stages;
    expect(staging?.signoff).toEqual({ approvals: 1, separation_of_duties: true, require_verified_commits: false });
    expect(r.config.deploy.mode).toBe('dispatch');
    expect(production?.signoff.reviewers).toEqual(['anna', '@acme/release-managers']);
    expect(production?.freeze[0]).toMatchObject({ from: '2026-12-20', to: '2027-01-04', timezone: 'UTC' });
    expect(r.config.deploy.workflow).toBe('stagegate-deploy.yml');
    expect(r.config.risk[1]?.level).toBe('low');
  });

  it('names file, line, column and key path of an unknown key, and suggests the near miss', () => {
    const r = parseConfig(example.replace('approvals: 2\n      reviewers', 'aprovals: 2\n      reviewers'));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ file: '.github/stagegate.yml', line: 32, column: 7, path: 'stages[1].signoff.aprovals', suggestion: 'approvals' });
    expect(formatConfigError(r.errors[0]!)).toBe('.github/stagegate.yml:32:7: stages[1].signoff.aprovals: unknown key "aprovals" (did you mean "approvals"?)');
  });

  it('reports a YAML syntax error with its line', () => {
    const r = parseConfig('stages:\n  - name: staging\n    branch: [staging\n');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors[0]?.message).toBe('a list written in [brackets] is not closed with "]" (or a line after it is not indented enough)');
    expect(r.errors[0]?.line).toBe(4);
  });

  it.each([
    ['a bad duration', 'soak: 30m', 'soak: half an hour', 'stages[1].soak', /must be a duration/],
    ['an unknown time zone', 'timezone: Europe/Berlin', 'timezone: Mars/Olympus', 'stages[1].windows[0].timezone', /IANA/],
    ['verified_in naming no stage', 'verified_in: staging', 'verified_in: qa', 'stages[1].verified_in', /names no stage/],
    ['approvals of the wrong type', 'approvals: 2\n      reviewers', 'approvals: two\n      reviewers', 'stages[1].signoff.approvals', /number/],
  ])('rejects %s with its key path', (_label, from, to, path, message) => {
    const r = parseConfig(example.replace(from, to));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.path)).toContain(path);
    const e = r.errors.find((x) => x.path === path)!;
    expect(e.message).toMatch(message);
    expect(e.line).toBeGreaterThan(1);
  });

  it('requires stages and reports a missing key', () => {
    const r = parseConfig('risk: []\n');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors[0]).toMatchObject({ path: 'stages', message: 'is required' });
  });
});

describe('loadConfig', () => {
  const minimal = 'stages:\n  - { name: staging, branch: staging, from: master }\n';

  it('reads the base branch, never the head', async () => {
    const src = source({ 'acme/app@staging:.github/stagegate.yml': minimal });
    const r = await loadConfig({ source: src, owner: 'acme', repo: 'app', baseRef: 'staging', defaultBranch: 'master' });
    expect(r.kind).toBe('ok');
    if (r.kind === 'ok') expect(r.origin).toEqual({ ref: 'staging', fellBack: false, blobSha: gitBlobSha(minimal) });
    expect(src.reads).toEqual(['acme/app@staging:.github/stagegate.yml']);
  });

  it('falls back to the default branch only where the base has none, and says so', async () => {
    const src = source({ 'acme/app@master:.github/stagegate.yml': minimal });
    const r = await loadConfig({ source: src, owner: 'acme', repo: 'app', baseRef: 'staging', defaultBranch: 'master' });
    expect(r.kind).toBe('ok');
    if (r.kind === 'ok') expect(r.origin).toEqual({ ref: 'master', fellBack: true, blobSha: gitBlobSha(minimal) });
  });

  it('is absent when neither branch has a file', async () => {
    const r = await loadConfig({ source: source({}), owner: 'acme', repo: 'app', baseRef: 'staging', defaultBranch: 'master' });
    expect(r.kind).toBe('absent');
  });

  it('merges _extends org defaults, stages by name, and locates errors in the file that has them', async () => {
    const org = 'stages:\n  - name: production\n    branch: production\n    from: staging\n    signoff: { approvals: 2 }\n';
    const repoText = '_extends: .github\nstages:\n  - name: production\n    branch: production\n    from: staging\n    checks: [build]\n';
    const src = source({ 'acme/app@staging:.github/stagegate.yml': repoText, 'acme/.github@HEAD:.github/stagegate.yml': org });
    const r = await loadConfig({ source: src, owner: 'acme', repo: 'app', baseRef: 'staging', defaultBranch: 'master' });
    if (r.kind !== 'ok') throw new Error(JSON.stringify(r));
    expect(r.config.stages).toHaveLength(1);
    expect(r.config.stages[0]).toMatchObject({ checks: ['build'], signoff: { approvals: 2 } });
    expect(r.origin.extendsFrom).toBe('acme/.github:.github/stagegate.yml');
    expect(r.origin).toMatchObject({ blobSha: gitBlobSha(repoText), extendsBlobSha: gitBlobSha(org) });

    const badOrg = org.replace('approvals: 2', 'approvls: 2');
    const src2 = source({ 'acme/app@staging:.github/stagegate.yml': repoText, 'acme/.github@HEAD:.github/stagegate.yml': badOrg });
    const r2 = await loadConfig({ source: src2, owner: 'acme', repo: 'app', baseRef: 'staging', defaultBranch: 'master' });
    if (r2.kind !== 'invalid') throw new Error('expected invalid');
    expect(r2.errors[0]).toMatchObject({ file: 'acme/.github:.github/stagegate.yml', line: 5, path: 'stages[0].signoff.approvls', suggestion: 'approvals' });
  });

  it('reports an _extends target that does not exist', async () => {
    const src = source({ 'acme/app@staging:.github/stagegate.yml': `_extends: acme/policies\n${minimal}` });
    const r = await loadConfig({ source: src, owner: 'acme', repo: 'app', baseRef: 'staging', defaultBranch: 'master' });
    expect(r.kind).toBe('invalid');
    if (r.kind === 'invalid') expect(r.errors[0]).toMatchObject({ path: '_extends', line: 1 });
  });
});

describe('gitBlobSha', () => {
  it('is the sha git itself gives the file (git hash-object), non-ASCII text included', () => {
    const text = 'stages: []\n# Zürich – ok ✓\n';
    expect(gitBlobSha(text)).toBe(execFileSync('git', ['hash-object', '--stdin'], { input: text }).toString().trim());
  });
});
