import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { GitHubSandbox } from '../../sandbox/github-sandbox.js';
import { webhookContract } from '../../sandbox/webhook-contract.js';
import { allSandboxEvents, client, installationToken, seedShop } from './support.js';

const o = { owner: 'acme', repo: 'shop' };
let sb: GitHubSandbox;

beforeAll(async () => {
  sb = await GitHubSandbox.start({ events: allSandboxEvents });
  await seedShop(sb);
});
afterAll(async () => {
  await sb?.stop();
});
afterEach(() => {
  expect(sb.violations.splice(0)).toEqual([]);
});

describe('review requests, labels and rebase merges', () => {
  it('an app requests a team and a user; GitHub refuses the author and outsiders; a review fulfils the request', async () => {
    await sb.push('acme/shop', { branch: 'master', files: { 'a.txt': 'a\n' }, message: 'a', author: 'alice' });
    const pr = await sb.openPullRequest({ repo: 'acme/shop', head: 'master', base: 'staging', title: 'Promote', user: 'alice' });
    const gh = client(sb, await installationToken(sb, 'acme', 'shop'));
    const res = await gh.pulls.requestReviewers({ ...o, pull_number: pr.number, reviewers: ['bob'], team_reviewers: ['release-managers'] });
    expect(res.status).toBe(201);
    expect(res.data.requested_reviewers?.map((u) => u.login)).toEqual(['bob']);
    expect(res.data.requested_teams?.map((t) => t.slug)).toEqual(['release-managers']);
    const listed = await gh.pulls.listRequestedReviewers({ ...o, pull_number: pr.number });
    expect(listed.data.teams.map((t) => t.slug)).toEqual(['release-managers']);
    const hooks = sb.deliveries.filter((d) => d.event === 'pull_request' && (d.payload as { action: string }).action === 'review_requested');
    expect(
      hooks.map(
        (d) =>
          (d.payload as { requested_team?: { slug: string }; requested_reviewer?: { login: string } }).requested_team?.slug ??
          (d.payload as { requested_reviewer: { login: string } }).requested_reviewer.login,
      ),
    ).toEqual(['bob', 'release-managers']);
    for (const d of hooks) expect(webhookContract().check('pull_request', d.payload)).toEqual([]);
    await expect(gh.pulls.requestReviewers({ ...o, pull_number: pr.number, reviewers: ['alice'] })).rejects.toMatchObject({ status: 422 });
    await expect(gh.pulls.requestReviewers({ ...o, pull_number: pr.number, team_reviewers: ['nobody'] })).rejects.toMatchObject({ status: 422 });
    await sb.review({ repo: 'acme/shop', pr: pr.number, user: 'bob', event: 'APPROVE' });
    expect((await gh.pulls.get({ ...o, pull_number: pr.number })).data.requested_reviewers?.map((u) => u.login)).toEqual([]);
    await gh.pulls.removeRequestedReviewers({ ...o, pull_number: pr.number, reviewers: [], team_reviewers: ['release-managers'] });
    expect((await gh.pulls.get({ ...o, pull_number: pr.number })).data.requested_teams).toEqual([]);
  });

  it('labels a PR (creating the label) and lists it on the PR', async () => {
    await sb.createBranch('acme/shop', 'feature-l', 'master');
    await sb.push('acme/shop', { branch: 'feature-l', files: { 'l.txt': 'l\n' }, message: 'l', author: 'alice' });
    const pr = await sb.openPullRequest({ repo: 'acme/shop', head: 'feature-l', base: 'master', title: 'Label me', user: 'alice' });
    const gh = client(sb, sb.tokenFor('bob'));
    const res = await gh.issues.addLabels({ ...o, issue_number: pr.number, labels: ['bug', 'Bug', 'feature'] });
    expect(res.data.map((l) => l.name)).toEqual(['bug', 'feature']);
    sb.addLabels('acme/shop', pr.number, ['docs']);
    const list = await gh.pulls.list({ ...o, state: 'open', head: 'acme:feature-l' });
    expect(list.data[0]?.labels.map((l) => l.name)).toEqual(['bug', 'feature', 'docs']);
  });

  it('a rebase merge replays each commit onto the base (author, date and message kept; committed by GitHub); merge_commit_sha is the last', async () => {
    await sb.createBranch('acme/shop', 'feature-r', 'master');
    const c1 = await sb.push('acme/shop', { branch: 'feature-r', files: { 'r1.txt': '1\n' }, message: 'first of two', author: 'carol' });
    const c2 = await sb.push('acme/shop', { branch: 'feature-r', files: { 'r2.txt': '2\n' }, message: 'second of two', author: 'carol' });
    await sb.push('acme/shop', { branch: 'master', files: { 'other.txt': 'o\n' }, message: 'meanwhile on master', author: 'alice' });
    const pr = await sb.openPullRequest({ repo: 'acme/shop', head: 'feature-r', base: 'master', title: 'Rebase me', user: 'carol' });
    const gh = client(sb, sb.tokenFor('bob'));
    const merged = await gh.pulls.merge({ ...o, pull_number: pr.number, merge_method: 'rebase' });
    const pull = (await gh.pulls.get({ ...o, pull_number: pr.number })).data;
    expect(pull.merge_commit_sha).toBe(merged.data.sha);
    const top = (await gh.repos.getCommit({ ...o, ref: merged.data.sha })).data;
    expect(top.commit.message).toBe('second of two');
    expect(top.parents).toHaveLength(1);
    expect(top.commit.committer?.name).toBe('GitHub');
    const below = (await gh.repos.getCommit({ ...o, ref: top.parents[0]!.sha })).data;
    expect(below.commit.message).toBe('first of two');
    const originals = (await gh.pulls.listCommits({ ...o, pull_number: pr.number })).data;
    expect(originals.map((c) => c.sha)).toEqual([c1, c2]);
    expect(originals.map((c) => c.commit.author?.date)).toEqual([below.commit.author?.date, top.commit.author?.date]);
    expect([c1, c2]).not.toContain(merged.data.sha);
    const files = (await gh.repos.getContent({ ...o, path: 'r2.txt', ref: 'master' })).data as { content: string };
    expect(Buffer.from(files.content, 'base64').toString()).toBe('2\n');
  });
});
