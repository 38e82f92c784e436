import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { GitHubSandbox } from '../../sandbox/github-sandbox.js';
import { appJwt, client, installationToken, seedShop } from './support.js';

const o = { owner: 'acme', repo: 'shop' };
let sb: GitHubSandbox;

beforeAll(async () => {
  sb = await GitHubSandbox.start();
  await seedShop(sb);
});

afterAll(async () => {
  await sb?.stop();
});

// Each test stays within GitHub's REST and webhook contracts (violations are reported by the test that made them).
afterEach(() => {
  expect(sb.violations.splice(0)).toEqual([]);
});

function status(err: unknown): number | undefined {
  return (err as { status?: number }).status;
}

describe('app authentication', () => {
  it('exchanges an app JWT signed with the app key for an installation token that works on the repo', async () => {
    const token = await installationToken(sb, 'acme', 'shop');
    expect(token).toMatch(/^ghs_/);
    const repo = await client(sb, token).repos.get(o);
    expect(repo.data.full_name).toBe('acme/shop');
    expect(repo.data.default_branch).toBe('master');
  });

  it('rejects a JWT signed with another key, an expired JWT, and no credentials', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const forged = client(sb, appJwt(sb.app.id, other));
    await expect(forged.apps.getRepoInstallation(o)).rejects.toMatchObject({ status: 401 });
    const now = Math.floor(Date.now() / 1000);
    const expired = client(sb, appJwt(sb.app.id, sb.app.privateKey, { iat: now - 1200, exp: now - 600 }));
    await expect(expired.apps.getRepoInstallation(o)).rejects.toMatchObject({ status: 401 });
    await expect(client(sb).apps.getAuthenticated()).rejects.toMatchObject({ status: 401 });
    await expect(client(sb, 'ghs_not-a-token').repos.get(o)).rejects.toMatchObject({ status: 401 });
  });

  it('serves the same paths without the /api/v3 prefix', async () => {
    const res = await fetch(`${sb.url}/repos/acme/shop`, { headers: { authorization: `token ${sb.tokenFor('alice')}` } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { name: string }).name).toBe('shop');
  });
});

describe('repositories, pull requests and reviews', () => {
  let prNumber = 0;
  let featureSha = '';

  it('pushes commits attributed by email and opens a promotion PR over HTTP', async () => {
    featureSha = await sb.push('acme/shop', { branch: 'master', files: { 'src/pay.ts': 'export const pay = 1;\n' }, message: 'feat: pay', author: 'alice', coAuthors: ['carol'] });
    await sb.push('acme/shop', { branch: 'master', files: { 'docs/x.md': 'x\n' }, message: 'docs by a stranger', author: { name: 'Stranger', email: 'stranger@elsewhere.test' } });
    const gh = client(sb, sb.tokenFor('alice'));
    const pr = await gh.pulls.create({ ...o, head: 'master', base: 'staging', title: 'Promote master to staging' });
    prNumber = pr.data.number;
    expect(pr.data.commits).toBe(2);
    expect(pr.data.changed_files).toBe(2);
    expect(pr.data.mergeable).toBe(true);
    const commits = await gh.pulls.listCommits({ ...o, pull_number: prNumber });
    expect(commits.data.map((c) => c.author?.login ?? null)).toEqual(['alice', null]);
    expect(commits.data[0]?.commit.message).toContain(`Co-authored-by: Carol Manager <${sb.account('carol').id}+carol@users.noreply.github.com>`);
    const files = await gh.pulls.listFiles({ ...o, pull_number: prNumber });
    expect(files.data.map((f) => [f.filename, f.status]).sort()).toEqual([
      ['docs/x.md', 'added'],
      ['src/pay.ts', 'added'],
    ]);
    const listed = await gh.pulls.list({ ...o, head: 'acme:master', base: 'staging' });
    expect(listed.data.map((p) => p.number)).toEqual([prNumber]);
    expect((await gh.pulls.list({ ...o, base: 'production' })).data).toEqual([]);
  });

  it('refuses a duplicate PR and a PR with no commits, as GitHub does', async () => {
    const gh = client(sb, sb.tokenFor('alice'));
    await expect(gh.pulls.create({ ...o, head: 'master', base: 'staging', title: 'again' })).rejects.toMatchObject({ status: 422 });
    await expect(gh.pulls.create({ ...o, head: 'production', base: 'staging', title: 'nothing' })).rejects.toMatchObject({ status: 422 });
  });

  it('refuses the author approving their own PR and records approvals bound to a commit', async () => {
    const author = client(sb, sb.tokenFor('alice'));
    let refused: unknown;
    try {
      await author.pulls.createReview({ ...o, pull_number: prNumber, event: 'APPROVE' });
    } catch (err) {
      refused = err;
    }
    expect(status(refused)).toBe(422);
    const bob = client(sb, sb.tokenFor('bob'));
    const pr = await bob.pulls.get({ ...o, pull_number: prNumber });
    const review = await bob.pulls.createReview({ ...o, pull_number: prNumber, event: 'APPROVE', commit_id: pr.data.head.sha });
    expect(review.data.state).toBe('APPROVED');
    expect(review.data.commit_id).toBe(pr.data.head.sha);
    await sb.push('acme/shop', { branch: 'master', files: { 'src/pay.ts': 'export const pay = 2;\n' }, message: 'fix: pay', author: 'alice' });
    const after = await bob.pulls.get({ ...o, pull_number: prNumber });
    expect(after.data.head.sha).not.toBe(pr.data.head.sha);
    const reviews = await bob.pulls.listReviews({ ...o, pull_number: prNumber });
    expect(reviews.data.map((r) => [r.user?.login, r.state, r.commit_id])).toEqual([['bob', 'APPROVED', pr.data.head.sha]]);
    const dismissed = await bob.pulls.dismissReview({ ...o, pull_number: prNumber, review_id: review.data.id, message: 'stale' });
    expect(dismissed.data.state).toBe('DISMISSED');
  });

  it('reads contents at a ref (404 when absent there) and raw', async () => {
    const gh = client(sb, sb.tokenFor('bob'));
    const file = await gh.repos.getContent({ ...o, path: 'src/pay.ts', ref: 'master' });
    const data = file.data as { content: string; encoding: string };
    expect(Buffer.from(data.content, 'base64').toString('utf8')).toBe('export const pay = 2;\n');
    await expect(gh.repos.getContent({ ...o, path: 'src/pay.ts', ref: 'staging' })).rejects.toMatchObject({ status: 404 });
    const raw = await gh.request('GET /repos/{owner}/{repo}/contents/{path}', { ...o, path: '.github/stagegate.yml', ref: 'production', mediaType: { format: 'raw' } });
    expect(String(raw.data)).toBe('stages: []\n');
    const dir = await gh.repos.getContent({ ...o, path: 'src', ref: 'master' });
    expect(Array.isArray(dir.data) && dir.data.map((e) => e.name)).toEqual(['pay.ts']);
  });

  it('retargets the base and merges with a real two-parent merge commit on the base branch', async () => {
    const bob = client(sb, sb.tokenFor('bob'));
    const pr = await bob.pulls.get({ ...o, pull_number: prNumber });
    const staleMerge = bob.pulls.merge({ ...o, pull_number: prNumber, sha: featureSha });
    await expect(staleMerge).rejects.toMatchObject({ status: 409 });
    const merged = await bob.pulls.merge({ ...o, pull_number: prNumber, sha: pr.data.head.sha });
    expect(merged.data.merged).toBe(true);
    const branch = await bob.repos.getBranch({ ...o, branch: 'staging' });
    expect(branch.data.commit.sha).toBe(merged.data.sha);
    const commit = await bob.git.getCommit({ ...o, commit_sha: merged.data.sha });
    expect(commit.data.parents.map((p) => p.sha)[1]).toBe(pr.data.head.sha);
    expect(commit.data.message).toContain(`Merge pull request #${prNumber}`);
    const after = await bob.pulls.get({ ...o, pull_number: prNumber });
    expect([after.data.merged, after.data.state, after.data.merge_commit_sha, after.data.merged_by?.login]).toEqual([true, 'closed', merged.data.sha, 'bob']);
    const assoc = await bob.repos.listPullRequestsAssociatedWithCommit({ ...o, commit_sha: featureSha });
    expect(assoc.data.map((p) => p.number)).toContain(prNumber);

    const prod = await bob.pulls.create({ ...o, head: 'staging', base: 'master', title: 'wrong base' });
    await sb.push('acme/shop', { branch: 'staging', files: { 'hotfix.txt': 'x\n' }, message: 'hotfix on staging', author: 'bob' });
    const retargeted = await bob.pulls.update({ ...o, pull_number: prod.data.number, base: 'production' });
    expect(retargeted.data.base.ref).toBe('production');
    expect(retargeted.data.commits).toBeGreaterThan(1);
  });

  it('opens a PR from a fork', async () => {
    sb.createUser({ login: 'mallory', email: 'mallory@evil.test' });
    await sb.fork('acme/shop', 'mallory');
    await sb.push('mallory/shop', { branch: 'master', files: { '.github/stagegate.yml': 'stages: [evil]\n' }, message: 'change config', author: 'mallory' });
    const gh = client(sb, sb.tokenFor('mallory'));
    const pr = await gh.pulls.create({ ...o, head: 'mallory:master', base: 'staging', title: 'from fork' });
    expect(pr.data.head.repo?.full_name).toBe('mallory/shop');
    expect(pr.data.base.repo.full_name).toBe('acme/shop');
    const files = await gh.pulls.listFiles({ ...o, pull_number: pr.data.number });
    expect(files.data.map((f) => f.filename)).toContain('.github/stagegate.yml');
    const base = await gh.repos.getContent({ ...o, path: '.github/stagegate.yml', ref: 'staging' });
    expect(Buffer.from((base.data as { content: string }).content, 'base64').toString()).toBe('stages: []\n');
  });
});

describe('checks, statuses, deployments, comments, people, releases', () => {
  it('serves check runs created by the app and filters the latest per name', async () => {
    const app = client(sb, await installationToken(sb, 'acme', 'shop'));
    const sha = (await app.repos.getBranch({ ...o, branch: 'master' })).data.commit.sha;
    const created = await app.checks.create({ ...o, name: 'stagegate', head_sha: sha, status: 'in_progress', output: { title: 'Gate', summary: 'pending' } });
    expect(created.data.app?.slug).toBe('stagegate');
    await app.checks.update({ ...o, check_run_id: created.data.id, conclusion: 'success', output: { title: 'Gate', summary: 'green' } });
    await sb.addCheckRun('acme/shop', { headSha: sha, name: 'build', conclusion: 'failure' });
    await sb.addCheckRun('acme/shop', { headSha: sha, name: 'build', conclusion: 'success' });
    const list = await app.checks.listForRef({ ...o, ref: 'master' });
    const byName = Object.fromEntries(list.data.check_runs.map((c) => [c.name, c.conclusion]));
    expect(byName).toEqual({ stagegate: 'success', build: 'success' });
    expect(list.data.total_count).toBe(2);
    const users = client(sb, sb.tokenFor('alice'));
    await expect(users.checks.create({ ...o, name: 'x', head_sha: sha })).rejects.toMatchObject({ status: 403 });
  });

  it('combines commit statuses as GitHub does', async () => {
    const gh = client(sb, sb.tokenFor('bob'));
    const sha = (await gh.repos.getBranch({ ...o, branch: 'master' })).data.commit.sha;
    expect((await gh.repos.getCombinedStatusForRef({ ...o, ref: sha })).data.state).toBe('pending');
    await gh.repos.createCommitStatus({ ...o, sha, state: 'failure', context: 'test' });
    await gh.repos.createCommitStatus({ ...o, sha, state: 'success', context: 'lint' });
    expect((await gh.repos.getCombinedStatusForRef({ ...o, ref: sha })).data.state).toBe('failure');
    await gh.repos.createCommitStatus({ ...o, sha, state: 'success', context: 'test' });
    const combined = await gh.repos.getCombinedStatusForRef({ ...o, ref: sha });
    expect([combined.data.state, combined.data.total_count]).toEqual(['success', 2]);
    expect((await gh.repos.listCommitStatusesForRef({ ...o, ref: sha })).data).toHaveLength(3);
  });

  it('creates deployments and statuses; a new success marks the previous one inactive', async () => {
    const app = client(sb, await installationToken(sb, 'acme', 'shop'));
    const d1 = await app.repos.createDeployment({ ...o, ref: 'staging', environment: 'staging', auto_merge: false, required_contexts: [], payload: { pull_request: 1 } });
    const id1 = (d1.data as { id: number }).id;
    await app.repos.createDeploymentStatus({ ...o, deployment_id: id1, state: 'success' });
    const d2 = await app.repos.createDeployment({ ...o, ref: 'staging', environment: 'staging', auto_merge: false, required_contexts: [] });
    const id2 = (d2.data as { id: number }).id;
    await app.repos.createDeploymentStatus({ ...o, deployment_id: id2, state: 'success', environment_url: 'http://127.0.0.1/x' });
    const s1 = await app.repos.listDeploymentStatuses({ ...o, deployment_id: id1 });
    expect(s1.data.map((s) => s.state)).toEqual(['inactive', 'success']);
    const list = await app.repos.listDeployments({ ...o, environment: 'staging' });
    expect(list.data.map((d) => d.id)).toEqual([id2, id1]);
    expect((await app.repos.getDeployment({ ...o, deployment_id: id1 })).data.payload).toEqual({ pull_request: 1 });
    await sb.addCheckRun('acme/shop', { headSha: (await app.repos.getBranch({ ...o, branch: 'production' })).data.commit.sha, name: 'build', conclusion: 'failure' });
    await expect(app.repos.createDeployment({ ...o, ref: 'production', environment: 'production', auto_merge: false })).rejects.toMatchObject({ status: 409 });
  });

  it('posts, edits and reacts to comments; reports permissions and team memberships', async () => {
    const app = client(sb, await installationToken(sb, 'acme', 'shop'));
    const c = await app.issues.createComment({ ...o, issue_number: 1, body: 'gate: pending' });
    expect(c.data.user?.login).toBe('stagegate[bot]');
    expect(c.data.performed_via_github_app?.slug).toBe('stagegate');
    await app.issues.updateComment({ ...o, comment_id: c.data.id, body: 'gate: green' });
    const r1 = await app.reactions.createForIssueComment({ ...o, comment_id: c.data.id, content: 'rocket' });
    const r2 = await app.reactions.createForIssueComment({ ...o, comment_id: c.data.id, content: 'rocket' });
    expect([r1.status, r2.status]).toEqual([201, 200]);
    const list = await app.issues.listComments({ ...o, issue_number: 1 });
    expect(list.data.map((x) => x.body)).toEqual(['gate: green']);
    expect((await app.repos.getCollaboratorPermissionLevel({ ...o, username: 'bob' })).data.permission).toBe('write');
    expect((await app.repos.getCollaboratorPermissionLevel({ ...o, username: 'mallory' })).data.permission).toBe('read');
    const m = await app.teams.getMembershipForUserInOrg({ org: 'acme', team_slug: 'release-managers', username: 'carol' });
    expect(m.data.state).toBe('pending');
    await expect(app.teams.getMembershipForUserInOrg({ org: 'acme', team_slug: 'release-managers', username: 'alice' })).rejects.toMatchObject({ status: 404 });
  });

  it('creates releases with a real tag', async () => {
    const app = client(sb, await installationToken(sb, 'acme', 'shop'));
    const rel = await app.repos.createRelease({ ...o, tag_name: 'v1.0.0', target_commitish: 'production', name: 'v1.0.0', body: 'notes' });
    expect(rel.data.author.login).toBe('stagegate[bot]');
    expect(await sb.repo('acme/shop').git.resolve('refs/tags/v1.0.0')).toBe(await sb.repo('acme/shop').git.branchSha('production'));
    expect((await app.repos.listReleases(o)).data.map((r) => r.tag_name)).toEqual(['v1.0.0']);
    await expect(app.repos.createRelease({ ...o, tag_name: 'v1.0.0' })).rejects.toMatchObject({ status: 422 });
  });

  it('served every request and response within GitHub’s OpenAPI description', () => {
    expect(sb.violations).toEqual([]);
  });
});
