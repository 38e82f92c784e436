import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startStack, type Stack } from '../../sandbox/stack.js';
import type { CheckRunState } from '../../sandbox/state.js';
import { runBin } from '../cli/run.js';

// Policy authoring end to end on the sandbox with the real app server: a pull request that changes
// .github/stagegate.yml gets a `stagegate/config` check annotated on the offending lines, and
// `stagegate explain` (the real binary) prints a live promotion's rule tree without posting anything.

const REPO = 'acme/shop';
const POLICY = `stages:
  - name: staging
    branch: staging
    from: master
    signoff:
      approvals: 1
    checks: [build]
`;
// Line 6 has an unknown key, line 7 a misspelt day, line 8 a bad time zone.
const BROKEN = `stages:
  - name: staging
    branch: staging
    from: master
    signoff:
      aprovals: 1
    windows:
      - { days: [mon, tues], hours: "09:00-16:00", timezone: Europe/Berln }
    freeze:
      - { from: 2027-01-04, to: 2026-12-20 }
`;

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
  const { sb } = stack;
  sb.createUser({ login: 'alice', name: 'Alice', email: 'alice@acme.test' });
  sb.createUser({ login: 'bob', name: 'Bob', email: 'bob@acme.test' });
  sb.createOrg({ login: 'acme' });
  await sb.createRepo({ owner: 'acme', name: 'shop', defaultBranch: 'master', branches: ['staging'], author: 'bob', files: { 'README.md': '# shop\n', '.github/stagegate.yml': POLICY } });
  for (const u of ['alice', 'bob']) sb.addCollaborator(REPO, u, 'write');
  await sb.settled();
}, 120_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

function configCheck(sha: string): CheckRunState | null {
  const runs = stack.sb.checkRunsFor(REPO, sha).filter((c) => c.name === 'stagegate/config' && c.app.id === stack.sb.app.id);
  return runs.sort((a, b) => b.id - a.id)[0] ?? null;
}

describe('the stagegate/config check', () => {
  it('fails a pull request that breaks the policy, with annotations at the right lines, and passes its fix', async () => {
    const { sb } = stack;
    await sb.createBranch(REPO, 'policy/windows', 'master');
    const broken = await sb.push(REPO, { branch: 'policy/windows', files: { '.github/stagegate.yml': BROKEN }, message: 'policy: deploy windows', author: 'alice' });
    const pr = await sb.openPullRequest({ repo: REPO, head: 'policy/windows', base: 'master', title: 'Deploy windows', user: 'alice' });
    const check = await sb.waitFor(() => configCheck(broken), 30_000, 'the stagegate/config check');
    expect(check.status).toBe('completed');
    expect(check.conclusion).toBe('failure');
    expect(check.output.title).toBe('4 problems in .github/stagegate.yml');
    expect(check.output.annotations.map((a) => [a.path, a.startLine, a.level, a.title, a.message])).toEqual([
      ['.github/stagegate.yml', 6, 'failure', 'stages[0].signoff.aprovals', 'unknown key "aprovals" (did you mean "approvals"?)'],
      ['.github/stagegate.yml', 8, 'failure', 'stages[0].windows[0].days[1]', 'must be one of "mon", "tue", "wed", "thu", "fri", "sat", "sun", not the text "tues" (did you mean "tue"?)'],
      ['.github/stagegate.yml', 8, 'failure', 'stages[0].windows[0].timezone', 'is not an IANA time zone such as Europe/Berlin, America/New_York or UTC (did you mean "Europe/Berlin"?)'],
      ['.github/stagegate.yml', 10, 'failure', 'stages[0].freeze[0].to', 'is before from (2027-01-04): the freeze would never start; swap from and to'],
    ]);
    expect(check.output.annotations.map((a) => a.startColumn)).toEqual([7, 23, 62, 33]);
    // The annotations are GitHub's to serve too (the API a pull request's "Files changed" tab reads).
    const res = await fetch(`${sb.apiUrl}/repos/${REPO}/check-runs/${check.id}/annotations`, { headers: { authorization: `token ${sb.tokenFor('alice')}` } });
    const served = (await res.json()) as { path: string; start_line: number; annotation_level: string }[];
    expect(served.map((a) => [a.path, a.start_line, a.annotation_level])).toEqual(check.output.annotations.map((a) => [a.path, a.startLine, a.level]));

    const fixed = await sb.push(REPO, {
      branch: 'policy/windows',
      files: { '.github/stagegate.yml': `${POLICY}    windows:\n      - { days: [mon, tue], hours: "09:00-16:00", timezone: Europe/Berlin }\n` },
      message: 'policy: fix',
      author: 'alice',
    });
    const green = await sb.waitFor(() => configCheck(fixed), 30_000, 'the stagegate/config check on the fix');
    expect(green.conclusion).toBe('success');
    expect(green.output.title).toBe('.github/stagegate.yml is valid: 1 stage');
    expect(green.output.annotations).toEqual([]);
    expect(sb.pull(REPO, pr.number).number).toBe(pr.number);
  }, 90_000);

  it('leaves pull requests that do not touch the policy alone', async () => {
    const { sb } = stack;
    await sb.createBranch(REPO, 'feature/readme', 'master');
    const sha = await sb.push(REPO, { branch: 'feature/readme', files: { 'README.md': '# shop\n\nmore\n' }, message: 'docs', author: 'alice' });
    await sb.openPullRequest({ repo: REPO, head: 'feature/readme', base: 'master', title: 'Docs', user: 'alice' });
    await sb.settled();
    expect(configCheck(sha)).toBeNull();
  }, 60_000);
});

describe('stagegate explain (real binary) against the sandbox', () => {
  it('prints a live promotion’s rule tree and posts nothing', async () => {
    const { sb } = stack;
    const head = await sb.push(REPO, { branch: 'master', files: { 'src/app.ts': 'export const x = 1;\n' }, message: 'feat: x', author: 'alice' });
    await sb.addCheckRun(REPO, { headSha: head, name: 'build', conclusion: 'success' });
    const pr = await sb.openPullRequest({ repo: REPO, head: 'master', base: 'staging', title: 'Promote master to staging', user: 'bob' });
    await sb.review({ repo: REPO, pr: pr.number, user: 'alice', event: 'APPROVE', commitId: head });
    await sb.settled();
    const r = sb.repo(REPO);
    const before = { checks: r.checkRuns.size, comments: r.comments.size, deployments: r.deployments.size };

    const env = { GITHUB_TOKEN: sb.tokenFor('bob'), GITHUB_API_URL: sb.apiUrl };
    const bare = mkdtempSync(join(tmpdir(), 'explain-')); // a working directory without an audit store
    const out = await runBin(['explain', '--repo', REPO, '--pr', String(pr.number)], env, bare);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(1);
    const lines = out.stdout.split('\n');
    expect(lines[0]).toBe(`${REPO}#${pr.number} "Promote master to staging": master → staging, head ${head.slice(0, 7)}`);
    expect(lines[1]).toBe('stage staging: pending');
    expect(out.stdout).toMatch(/^ {2}… pending Approvals: 0 of 1 approval of head [0-9a-f]{7}/m);
    expect(out.stdout).toMatch(/^ {2}✓ passed {2}Required checks: build succeeded/m);
    expect(out.stdout).toMatch(/^ {2}✗ alice approved [0-9a-f]{7} at .*: does not count \(author/m);
    expect(out.stdout).toMatch(/nothing was posted\.$/m);

    const json = await runBin(['explain', '--repo', REPO, '--pr', String(pr.number), '--format', 'json'], env, bare);
    const parsed = JSON.parse(json.stdout) as { kind: string; state: string; rules: { id: string; state: string }[] };
    // The app's identity decides what is evidence; without its store, protection-rule approvals are not read (and it says so).
    expect(parsed).toMatchObject({ kind: 'evaluated', state: 'pending', app: { id: sb.app.id, slug: sb.app.slug }, auditStore: false });
    expect(out.stdout).toMatch(/^note: no audit store was found, so deployments made in protection-rule mode count as unverified here/m);
    const withStore = await runBin(['explain', '--repo', REPO, '--pr', String(pr.number), '--format', 'json', '--app', sb.app.slug, '--data-dir', stack.app.dataDir], env);
    expect(JSON.parse(withStore.stdout)).toMatchObject({ state: 'pending', auditStore: true });
    const unknown = await runBin(['explain', '--repo', REPO, '--pr', String(pr.number), '--app', 'no-such-app'], env);
    expect([unknown.code, unknown.stderr.trim()]).toEqual([2, expect.stringContaining('--app: GitHub knows no app "no-such-app"')]);
    expect(parsed).toMatchObject({ kind: 'evaluated', state: 'pending' });
    expect(parsed.rules.map((x) => x.id)).toEqual(expect.arrayContaining(['approvals', 'required-checks']));

    // The same verdict the app published, and nothing new on GitHub.
    const gate = sb
      .checkRunsFor(REPO, head)
      .filter((c) => c.name === 'stagegate')
      .sort((a, b) => b.id - a.id)[0];
    expect(gate?.status).toBe('in_progress');
    expect({ checks: r.checkRuns.size, comments: r.comments.size, deployments: r.deployments.size }).toEqual({ checks: before.checks, comments: before.comments, deployments: before.deployments });

    const missing = await runBin(['explain', '--repo', REPO, '--pr', String(pr.number)], { GITHUB_API_URL: sb.apiUrl });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/explain needs a GitHub token: set GITHUB_TOKEN/);
  }, 90_000);
});
