import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { GitHubRequester, Route, RouteParams } from '../../src/github/client.js';
import { FactCache } from '../../src/github/fact-cache.js';
import { createGitHubFacts } from '../../src/github/facts.js';
import { GitHubSandbox } from '../../sandbox/github-sandbox.js';
import { summarize } from '../../sandbox/http/ledger.js';
import { client, installationToken, seedShop } from '../sandbox/support.js';

// The facts layer against the sandbox (real git repositories, GitHub's listing limits): a 5,000-commit /
// 10,000-file promotion is read completely and exactly in tens of requests.

let sb: GitHubSandbox;
let gh: GitHubRequester;
let tip = '';
let pr = 0;

async function truth(repo: string, head: string): Promise<Set<string>> {
  const r = sb.repo(repo);
  const mb = await r.git.mergeBase((await r.git.branchSha('production'))!, head);
  return new Set((await r.git.diff(mb, head)).map((f) => f.filename));
}

beforeAll(async () => {
  sb = await GitHubSandbox.start();
  await seedShop(sb);
  const shas = await sb.pushMany('acme/shop', 'staging', 5000, 'alice', { filesPerCommit: 2 });
  tip = shas[shas.length - 1]!;
  pr = (await sb.openPullRequest({ repo: 'acme/shop', head: 'staging', base: 'production', title: 'Promote a big range', user: 'alice' })).number;
  const octokit = client(sb, await installationToken(sb, 'acme', 'shop'));
  gh = { request: <R extends Route>(route: R, params?: RouteParams<R>) => octokit.request(route, params as never) };
}, 120_000);
afterAll(async () => {
  expect(sb.violations).toEqual([]);
  await sb.stop();
});

describe('a 5,000-commit / 10,000-file range', () => {
  it('walks into the differing directories only, and exactly, where GitHub truncates a recursive tree', async () => {
    const small = await GitHubSandbox.start({ limits: { treeEntries: 150 } });
    try {
      await seedShop(small);
      const tree: Record<string, string> = { 'lib/a.ts': 'a\n' };
      for (let i = 0; i < 200; i++) tree[`docs/same/d${i}.md`] = `${i}\n`;
      const base = await small.push('acme/shop', { branch: 'production', files: tree, message: 'Base', author: 'alice' });
      await small.push('acme/shop', { branch: 'staging', files: { 'lib/a.ts': 'a2\n' }, message: 'Edit', author: 'alice', parent: base });
      const shas = await small.pushMany('acme/shop', 'staging', 160, 'alice', { filesPerCommit: 2 });
      const head = shas[shas.length - 1]!;
      const n = (await small.openPullRequest({ repo: 'acme/shop', head: 'staging', base: 'production', title: 'Promote', user: 'alice' })).number;
      const oct = client(small, await installationToken(small, 'acme', 'shop'));
      const c: GitHubRequester = { request: <R extends Route>(route: R, params?: RouteParams<R>) => oct.request(route, params as never) };
      const files = await createGitHubFacts({ client: c, owner: 'acme', repo: 'shop', pullNumber: n, cache: new FactCache() }).files();
      const r = small.repo('acme/shop');
      const mb = await r.git.mergeBase((await r.git.branchSha('production'))!, head);
      const expected = (await r.git.diff(mb, head)).map((f) => `${f.status === 'renamed' ? 'added' : f.status} ${f.filename}`);
      expect(files.complete).toBe(true);
      expect(files.items.map((f) => `${f.status} ${f.filename}`).sort()).toEqual(expected.sort());
      expect(files.items).toHaveLength(321);
      expect(files.items.find((f) => f.filename === 'lib/a.ts')?.status).toBe('modified');
      expect(small.violations).toEqual([]);
    } finally {
      await small.stop();
    }
  }, 120_000);

  it('is read completely, with the exact changed files, in at most 80 requests', async () => {
    const mark = sb.ledger.mark();
    const facts = createGitHubFacts({ client: gh, owner: 'acme', repo: 'shop', pullNumber: pr, cache: new FactCache() });
    const [commits, files] = await Promise.all([facts.commits(), facts.files()]);
    expect(commits.complete).toBe(true);
    expect(commits.items).toHaveLength(5000);
    expect(commits.items[4999]!.sha).toBe(tip);
    expect(files.complete).toBe(true);
    const expected = await truth('acme/shop', tip);
    expect(expected.size).toBe(10_000);
    expect(new Set(files.items.map((f) => f.filename))).toEqual(expected);
    expect(files.items.every((f) => f.status === 'added')).toBe(true);
    const used = summarize(sb.ledger.since(mark));
    expect(used.requests).toBeLessThanOrEqual(80);
    // 50 compare pages, two recursive trees, the pull request itself.
    expect(used.byRoute.map((r) => [r.route, r.requests])).toEqual([
      ['GET /repos/{owner}/{repo}/compare/{basehead}', 50],
      ['GET /repos/{owner}/{repo}/git/trees/{tree_sha}', 2],
      ['GET /repos/{owner}/{repo}/pulls/{pull_number}', 1],
    ]);
  }, 120_000);

  it('is read again from the cache by the next evaluation: only the changeable facts are revalidated', async () => {
    const cache = new FactCache();
    const first = createGitHubFacts({ client: gh, owner: 'acme', repo: 'shop', pullNumber: pr, cache });
    await Promise.all([first.commits(), first.files(), first.reviews()]);
    const mark = sb.ledger.mark();
    const next = createGitHubFacts({ client: gh, owner: 'acme', repo: 'shop', pullNumber: pr, cache, events: ['pull_request_review'] });
    const [commits, files] = await Promise.all([next.commits(), next.files(), next.reviews()]);
    expect([commits.items.length, files.items.length]).toEqual([5000, 10_000]);
    const again = sb.ledger.since(mark);
    expect(again.map((e) => [e.route, e.status])).toEqual(
      expect.arrayContaining([
        ['/repos/{owner}/{repo}/pulls/{pull_number}', 304],
        ['/repos/{owner}/{repo}/pulls/{pull_number}/reviews', 304],
      ]),
    );
    expect(again).toHaveLength(2);
  }, 120_000);

  it('fails closed with "too large to evaluate" when the rate limit left would not cover it', async () => {
    const inst = [...sb.installations.values()].find((i) => i.account.login === 'acme')!;
    sb.rateLimits.setRemaining(`installation:${inst.id}`, 110);
    const facts = createGitHubFacts({ client: gh, owner: 'acme', repo: 'shop', pullNumber: pr, cache: new FactCache() });
    const commits = await facts.commits();
    expect(commits.complete).toBe(false);
    expect(!commits.complete && commits.reason).toMatch(
      /^too large to evaluate: 5,000 commits \/ 10,000 files \(limit: GitHub's rate limit has 108 requests left and 100 are kept for other work; reading the range needs 49 more\)$/,
    );
    sb.rateLimits.setRemaining(`installation:${inst.id}`, 5000);
  }, 60_000);
});
