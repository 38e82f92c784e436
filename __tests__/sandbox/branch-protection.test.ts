import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { GitHubSandbox } from '../../sandbox/github-sandbox.js';
import { client, installationToken, seedShop } from './support.js';

const o = { owner: 'acme', repo: 'shop' };
let sb: GitHubSandbox;

beforeAll(async () => {
  sb = await GitHubSandbox.start();
  await seedShop(sb);
  sb.createUser({ login: 'dana', name: 'Dana Admin', email: 'dana@acme.test' });
  sb.addCollaborator('acme/shop', 'dana', 'admin');
});

afterAll(async () => {
  await sb?.stop();
});

afterEach(() => {
  expect(sb.violations.splice(0)).toEqual([]);
});

/** A promotion PR master → `base` with a new commit on master; returns its number and head. */
async function promotion(base: string, file: string): Promise<{ number: number; head: string }> {
  const head = await sb.push('acme/shop', { branch: 'master', files: { [file]: `${file}\n` }, message: `change ${file}`, author: 'alice' });
  const pr = await sb.openPullRequest({ repo: 'acme/shop', head: 'master', base, title: `Promote to ${base}`, user: 'alice' });
  return { number: pr.number, head };
}

describe('branch protection REST', () => {
  it('sets and reads protection and its required status checks as an admin, pinned to an app', async () => {
    const gh = client(sb, sb.tokenFor('dana'));
    const put = await gh.repos.updateBranchProtection({
      ...o,
      branch: 'staging',
      required_status_checks: { strict: false, contexts: [], checks: [{ context: 'build', app_id: sb.ciApp.id }] },
      enforce_admins: false,
      required_pull_request_reviews: null,
      restrictions: null,
    });
    expect(put.data.required_status_checks?.checks).toEqual([{ context: 'build', app_id: sb.ciApp.id }]);
    const got = await gh.repos.getBranchProtection({ ...o, branch: 'staging' });
    expect(got.data).toMatchObject({ enabled: true, enforce_admins: { enabled: false }, required_status_checks: { contexts: ['build'] } });
    const branch = await client(sb, sb.tokenFor('alice')).repos.getBranch({ ...o, branch: 'staging' });
    expect(branch.data.protected).toBe(true);
    expect(branch.data.protection.required_status_checks?.checks).toEqual([{ context: 'build', app_id: sb.ciApp.id }]);
  });

  it('pins a check given without app_id to the app that recently provided it, and -1 to any source', async () => {
    const sha = (await sb.repo('acme/shop').git.branchSha('staging')) ?? '';
    await sb.addCheckRun('acme/shop', { headSha: sha, name: 'lint', conclusion: 'success' });
    const gh = client(sb, sb.tokenFor('dana'));
    const patched = await gh.repos.updateStatusCheckProtection({
      ...o,
      branch: 'staging',
      checks: [{ context: 'build', app_id: sb.ciApp.id }, { context: 'lint' }, { context: 'e2e' }, { context: 'docs', app_id: -1 }],
    });
    expect(patched.data.checks).toEqual([
      { context: 'build', app_id: sb.ciApp.id },
      { context: 'lint', app_id: sb.ciApp.id },
      { context: 'e2e', app_id: null },
      { context: 'docs', app_id: null },
    ]);
    const read = await gh.repos.getStatusChecksProtection({ ...o, branch: 'staging' });
    expect(read.data.contexts).toEqual(['build', 'lint', 'e2e', 'docs']);
    await gh.repos.updateStatusCheckProtection({ ...o, branch: 'staging', checks: [{ context: 'build', app_id: sb.ciApp.id }] });
  });

  it('refuses protection changes to a writer and to the app (no administration permission)', async () => {
    const body = { ...o, branch: 'staging', required_status_checks: null, enforce_admins: null, required_pull_request_reviews: null, restrictions: null };
    await expect(client(sb, sb.tokenFor('alice')).repos.updateBranchProtection(body)).rejects.toMatchObject({ status: 403 });
    await expect(client(sb, await installationToken(sb, 'acme', 'shop')).repos.updateBranchProtection(body)).rejects.toMatchObject({ status: 403 });
    await expect(client(sb, sb.tokenFor('alice')).repos.getBranchProtection({ ...o, branch: 'staging' })).rejects.toMatchObject({ status: 403 });
  });
});

describe('merging into a protected branch', () => {
  it('does not count a required check from another source: a user’s status or another app’s check run of that name', async () => {
    const pr = await promotion('staging', 'a.txt');
    await sb.setStatus('acme/shop', pr.head, { state: 'success', context: 'build', user: 'alice' });
    await sb.addCheckRun('acme/shop', { headSha: pr.head, name: 'build', conclusion: 'success', app: 'stagegate' });
    const gh = client(sb, sb.tokenFor('bob'));
    await expect(gh.pulls.merge({ ...o, pull_number: pr.number })).rejects.toMatchObject({ status: 405, message: expect.stringContaining('Required status check "build" is expected') });
    expect((await gh.pulls.get({ ...o, pull_number: pr.number })).data.mergeable_state).toBe('blocked');
    await sb.addCheckRun('acme/shop', { headSha: pr.head, name: 'build', conclusion: 'success' });
    expect((await gh.pulls.get({ ...o, pull_number: pr.number })).data.mergeable_state).toBe('clean');
    const merged = await gh.pulls.merge({ ...o, pull_number: pr.number });
    expect(merged.data.merged).toBe(true);
    expect(sb.protectionBypasses('acme/shop')).toEqual([]);
  });

  it('blocks the merge while the required check fails; an admin’s merge goes through and is recorded as a bypass', async () => {
    const pr = await promotion('staging', 'b.txt');
    await sb.addCheckRun('acme/shop', { headSha: pr.head, name: 'build', conclusion: 'failure' });
    await expect(client(sb, sb.tokenFor('bob')).pulls.merge({ ...o, pull_number: pr.number })).rejects.toMatchObject({ status: 405, message: expect.stringContaining('"build" is failing') });
    expect(sb.pull('acme/shop', pr.number).merged).toBe(false);
    const merged = await client(sb, sb.tokenFor('dana')).pulls.merge({ ...o, pull_number: pr.number });
    expect(merged.data.merged).toBe(true);
    expect(sb.protectionBypasses('acme/shop')).toEqual([
      expect.objectContaining({
        ref: 'refs/heads/staging',
        pullNumber: pr.number,
        after: merged.data.sha,
        actor: expect.objectContaining({ login: 'dana' }),
        reasons: ['Required status check "build" is failing.'],
      }),
    ]);
  });

  it('holds admins to it too when enforce_admins is on', async () => {
    sb.protectBranch('acme/shop', 'staging', { required_status_checks: { strict: false, checks: [{ context: 'build', app_id: sb.ciApp.id }] }, enforce_admins: true });
    const pr = await promotion('staging', 'c.txt');
    await expect(client(sb, sb.tokenFor('dana')).pulls.merge({ ...o, pull_number: pr.number })).rejects.toMatchObject({ status: 405 });
    expect(sb.protectionBypasses('acme/shop')).toHaveLength(1);
  });

  it('requires approving reviews from writers when the rule does', async () => {
    sb.protectBranch('acme/shop', 'production', { required_pull_request_reviews: { required_approving_review_count: 1 } });
    const pr = await promotion('production', 'd.txt');
    const gh = client(sb, sb.tokenFor('bob'));
    await expect(gh.pulls.merge({ ...o, pull_number: pr.number })).rejects.toMatchObject({ status: 405, message: expect.stringContaining('At least 1 approving review is required') });
    await sb.review({ repo: 'acme/shop', pr: pr.number, user: 'carol', event: 'APPROVE' });
    expect((await gh.pulls.merge({ ...o, pull_number: pr.number })).data.merged).toBe(true);
  });
});

describe('pushing to a protected branch', () => {
  it('lets only the users, teams and apps of its restrictions push; refuses force pushes and deletion', async () => {
    sb.protectBranch('acme/shop', 'hotfix', { restrictions: { users: ['carol'], teams: [], apps: [] } });
    await sb.createBranch('acme/shop', 'hotfix-base', 'master');
    await expect(sb.push('acme/shop', { branch: 'hotfix', from: 'refs/heads/master', files: { 'h.txt': 'h\n' }, message: 'h', author: 'bob' })).rejects.toMatchObject({
      status: 422,
      message: expect.stringContaining('You are not allowed to push code to this protected branch'),
    });
    const first = await sb.push('acme/shop', { branch: 'hotfix', from: 'refs/heads/master', files: { 'h.txt': 'h\n' }, message: 'h', author: 'carol' });
    await sb.push('acme/shop', { branch: 'hotfix', files: { 'h.txt': 'h2\n' }, message: 'h2', author: 'carol' });
    await expect(sb.push('acme/shop', { branch: 'hotfix', files: { 'h.txt': 'rewritten\n' }, message: 'rewrite', author: 'carol', parent: first })).rejects.toMatchObject({
      message: expect.stringContaining('Cannot force-push to this branch'),
    });
    const bob = client(sb, sb.tokenFor('bob'));
    await expect(bob.git.updateRef({ ...o, ref: 'heads/hotfix', sha: first, force: true })).rejects.toMatchObject({ status: 422 });
    await expect(client(sb, sb.tokenFor('carol')).git.deleteRef({ ...o, ref: 'heads/hotfix' })).rejects.toMatchObject({
      status: 422,
      message: expect.stringContaining('Cannot delete this protected branch'),
    });
    expect(await sb.repo('acme/shop').git.branchSha('hotfix')).not.toBe(first);
  });

  it('refuses a direct push of a commit whose required checks are not green; an admin’s push is a recorded bypass', async () => {
    sb.protectBranch('acme/shop', 'release', { required_status_checks: { strict: false, checks: [{ context: 'build', app_id: sb.ciApp.id }] } });
    await sb.createBranch('acme/shop', 'release', 'master').catch(() => undefined);
    await expect(sb.push('acme/shop', { branch: 'release', files: { 'r.txt': 'r\n' }, message: 'r', author: 'bob' })).rejects.toMatchObject({
      message: expect.stringContaining('Required status check "build" is expected'),
    });
    const before = sb.protectionBypasses('acme/shop').length;
    const sha = await sb.push('acme/shop', { branch: 'release', files: { 'r.txt': 'r\n' }, message: 'r', author: 'dana' });
    const bypass = sb.protectionBypasses('acme/shop').slice(before);
    expect(bypass).toEqual([expect.objectContaining({ ref: 'refs/heads/release', pullNumber: null, after: sha, actor: expect.objectContaining({ login: 'dana' }) })]);
  });
});
