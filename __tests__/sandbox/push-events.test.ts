import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { GitHubSandbox } from '../../sandbox/github-sandbox.js';
import { webhookContract } from '../../sandbox/webhook-contract.js';
import { allSandboxEvents, client, seedShop } from './support.js';

const ZERO = '0'.repeat(40);
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

interface PushPayload {
  ref: string;
  before: string;
  after: string;
  created: boolean;
  deleted: boolean;
  forced: boolean;
  commits: Array<{ id: string; distinct: boolean; added: string[]; modified: string[]; removed: string[]; author: { username?: string } }>;
  head_commit: { id: string } | null;
  pusher: { name: string };
  sender: { login: string };
}

/** The push deliveries recorded since `mark` (an index into sb.deliveries), each checked against GitHub's webhook schema. */
function pushesSince(mark: number): PushPayload[] {
  const out = sb.deliveries.slice(mark).filter((d) => d.event === 'push');
  for (const d of out) expect(webhookContract().check('push', d.payload)).toEqual([]);
  return out.map((d) => d.payload as unknown as PushPayload);
}

describe('push webhooks for every ref update', () => {
  it('reports a push of a new commit: before/after, the commit and its files, pusher and sender', async () => {
    const before = (await sb.repo('acme/shop').git.branchSha('master')) ?? '';
    const mark = sb.deliveries.length;
    const sha = await sb.push('acme/shop', { branch: 'master', files: { 'src/new.ts': 'x\n', 'README.md': '# shop!\n' }, message: 'feat: new', author: 'alice' });
    const [p, ...rest] = pushesSince(mark);
    expect(rest).toEqual([]);
    expect(p).toMatchObject({ ref: 'refs/heads/master', before, after: sha, created: false, deleted: false, forced: false, pusher: { name: 'alice' }, sender: { login: 'alice' } });
    expect(p?.commits.map((c) => [c.id, c.distinct, c.added, c.modified, c.author.username])).toEqual([[sha, true, ['src/new.ts'], ['README.md'], 'alice']]);
    expect(p?.head_commit?.id).toBe(sha);
  });

  it('reports a new branch as created (before is zeros; no new commits when it starts at an existing one)', async () => {
    const mark = sb.deliveries.length;
    const sha = await sb.createBranch('acme/shop', 'feature/x', 'master');
    const [p] = pushesSince(mark);
    expect(p).toMatchObject({ ref: 'refs/heads/feature/x', before: ZERO, after: sha, created: true, deleted: false, forced: false, commits: [], head_commit: { id: sha } });
  });

  it('reports a non-fast-forward push as forced', async () => {
    const git = sb.repo('acme/shop').git;
    const tip = (await git.branchSha('feature/x')) ?? '';
    await sb.push('acme/shop', { branch: 'feature/x', files: { 'f.txt': '1\n' }, message: 'one', author: 'bob' });
    const mark = sb.deliveries.length;
    const rewritten = await sb.push('acme/shop', { branch: 'feature/x', files: { 'f.txt': '2\n' }, message: 'one, rewritten', author: 'bob', parent: tip });
    const [p] = pushesSince(mark);
    expect(p).toMatchObject({ ref: 'refs/heads/feature/x', after: rewritten, forced: true, pusher: { name: 'bob' } });
    expect(p?.commits.map((c) => c.id)).toEqual([rewritten]);
  });

  it('reports a merge as a push to the base by the merger: the merged commits are not distinct, the merge commit is', async () => {
    const head = await sb.push('acme/shop', { branch: 'feature/x', files: { 'g.txt': 'g\n' }, message: 'two', author: 'alice' });
    const pr = await sb.openPullRequest({ repo: 'acme/shop', head: 'feature/x', base: 'master', title: 'x', user: 'alice' });
    const mark = sb.deliveries.length;
    const merge = await sb.merge('acme/shop', pr.number, 'bob');
    const [p] = pushesSince(mark);
    expect(p).toMatchObject({ ref: 'refs/heads/master', after: merge, created: false, forced: false, pusher: { name: 'bob' }, sender: { login: 'bob' }, head_commit: { id: merge } });
    const byId = new Map(p?.commits.map((c) => [c.id, c.distinct]));
    expect(byId.get(merge)).toBe(true);
    expect(byId.get(head)).toBe(false);
  });

  it('reports tags and deletions through the git refs API (deleted: after is zeros, no head commit)', async () => {
    const gh = client(sb, sb.tokenFor('bob'));
    const sha = (await sb.repo('acme/shop').git.branchSha('master')) ?? '';
    const mark = sb.deliveries.length;
    await gh.git.createRef({ owner: 'acme', repo: 'shop', ref: 'refs/tags/v1.0.0', sha });
    await gh.git.deleteRef({ owner: 'acme', repo: 'shop', ref: 'heads/feature/x' });
    const [tag, del] = pushesSince(mark);
    expect(tag).toMatchObject({ ref: 'refs/tags/v1.0.0', before: ZERO, after: sha, created: true, deleted: false });
    expect(del).toMatchObject({ ref: 'refs/heads/feature/x', after: ZERO, created: false, deleted: true, forced: false, commits: [], head_commit: null, pusher: { name: 'bob' } });
    expect(await sb.repo('acme/shop').git.branchSha('feature/x')).toBeNull();
  });
});
