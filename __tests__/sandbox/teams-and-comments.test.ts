import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { GitHubSandbox } from '../../sandbox/github-sandbox.js';
import { allSandboxEvents, client, installationToken, seedShop } from './support.js';

const o = { owner: 'acme', repo: 'shop' };
let sb: GitHubSandbox;

beforeAll(async () => {
  sb = await GitHubSandbox.start({ events: allSandboxEvents });
  await seedShop(sb);
  sb.createUser({ login: 'erin', email: 'erin@acme.test' });
  sb.createUser({ login: 'frank', email: 'frank@acme.test' });
  sb.createUser({ login: 'gus', email: 'gus@acme.test' });
  sb.addCollaborator('acme/shop', 'frank', 'read');
  sb.createTeam('acme', { slug: 'platform', members: ['alice'] });
  sb.createTeam('acme', { slug: 'sre', parent: 'platform', members: ['erin'] });
  sb.createTeam('acme', { slug: 'sre-oncall', parent: 'sre', members: { gus: { state: 'pending' } } });
});

afterAll(async () => {
  await sb?.stop();
});

afterEach(() => {
  expect(sb.violations.splice(0)).toEqual([]);
});

describe('nested teams', () => {
  it('reports a child team’s member as a member of the parent (and grandparent), as GitHub’s membership API does', async () => {
    const gh = client(sb, await installationToken(sb, 'acme', 'shop'));
    const direct = await gh.teams.getMembershipForUserInOrg({ org: 'acme', team_slug: 'platform', username: 'alice' });
    expect(direct.data).toMatchObject({ role: 'member', state: 'active' });
    const inherited = await gh.teams.getMembershipForUserInOrg({ org: 'acme', team_slug: 'platform', username: 'erin' });
    expect(inherited.data).toMatchObject({ role: 'member', state: 'active' });
    const pending = await gh.teams.getMembershipForUserInOrg({ org: 'acme', team_slug: 'platform', username: 'gus' });
    expect(pending.data.state).toBe('pending');
    expect(sb.isTeamMember('acme', 'platform', 'erin')).toBe(true);
    expect(sb.isTeamMember('acme', 'platform', 'gus')).toBe(false);
  });

  it('does not make a parent’s member a member of the child', async () => {
    const gh = client(sb, await installationToken(sb, 'acme', 'shop'));
    await expect(gh.teams.getMembershipForUserInOrg({ org: 'acme', team_slug: 'sre', username: 'alice' })).rejects.toMatchObject({ status: 404 });
    expect(sb.isTeamMember('acme', 'sre', 'alice')).toBe(false);
  });

  it('lists a parent’s members with the child teams’ active members, flagged inherited', async () => {
    const gh = client(sb, await installationToken(sb, 'acme', 'shop'));
    const members = await gh.request('GET /orgs/{org}/teams/{team_slug}/members', { org: 'acme', team_slug: 'platform' });
    expect((members.data as Array<{ login: string; inherited?: boolean }>).map((m) => [m.login, m.inherited])).toEqual([
      ['alice', false],
      ['erin', true],
    ]);
  });
});

describe('who may edit a comment', () => {
  let commentId = 0;
  let appCommentId = 0;

  beforeAll(async () => {
    await sb.push('acme/shop', { branch: 'master', files: { 'c.txt': 'c\n' }, message: 'c', author: 'alice' });
    const pr = await sb.openPullRequest({ repo: 'acme/shop', head: 'master', base: 'staging', title: 'Promote', user: 'alice' });
    commentId = (await sb.comment('acme/shop', pr.number, 'bob', 'looks good')).id;
    const app = client(sb, await installationToken(sb, 'acme', 'shop'));
    appCommentId = (await app.issues.createComment({ ...o, issue_number: pr.number, body: '<!-- stagegate:gate --> gate: pending' })).data.id;
  });

  it('lets its author and any user with write access edit it, not a reader', async () => {
    await client(sb, sb.tokenFor('bob')).issues.updateComment({ ...o, comment_id: commentId, body: 'looks good (edited)' });
    await client(sb, sb.tokenFor('alice')).issues.updateComment({ ...o, comment_id: commentId, body: 'edited by alice' });
    await expect(client(sb, sb.tokenFor('frank')).issues.updateComment({ ...o, comment_id: commentId, body: 'reader' })).rejects.toMatchObject({ status: 403 });
    expect(sb.repo('acme/shop').comments.get(commentId)?.body).toBe('edited by alice');
  });

  it('lets a workflow’s GITHUB_TOKEN edit the app’s own comment (anything posted there is a claim, not the app’s)', async () => {
    const inst = sb.installationFor(sb.account('acme'));
    const workflowToken = sb.issueInstallationToken(inst.id, sb.actionsApp).token;
    await client(sb, workflowToken).issues.updateComment({ ...o, comment_id: appCommentId, body: '<!-- stagegate:gate --> gate: success' });
    const edited = sb.deliveries.filter((d) => d.event === 'issue_comment' && d.action === 'edited').at(-1);
    expect(edited?.payload).toMatchObject({
      comment: { id: appCommentId, body: '<!-- stagegate:gate --> gate: success', user: { login: 'stagegate[bot]' } },
      sender: { login: 'github-actions[bot]' },
    });
  });

  it('refuses an app installation without issues or pull_requests write', async () => {
    const inst = sb.installationFor(sb.account('acme'));
    const ciToken = sb.issueInstallationToken(inst.id, sb.ciApp).token;
    await expect(client(sb, ciToken).issues.updateComment({ ...o, comment_id: commentId, body: 'ci' })).rejects.toMatchObject({ status: 403 });
  });
});
