import { describe, expect, it } from '@jest/globals';
import { RequestBudget } from '../../src/github/budget.js';
import { FactCache } from '../../src/github/fact-cache.js';
import { createGitHubFacts } from '../../src/github/facts.js';
import type { GateEvent } from '../../src/gate/types.js';
import { FakeGitHub, linearCommits } from './support.js';

const COMPARE = 'GET /repos/{owner}/{repo}/compare/{basehead}';
const REVIEWS = 'GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews';
const RUNS = 'GET /repos/{owner}/{repo}/commits/{ref}/check-runs';
const TREES = 'GET /repos/{owner}/{repo}/git/trees/{tree_sha}';
const PERMISSION = 'GET /repos/{owner}/{repo}/collaborators/{username}/permission';

function world(commits = 3): FakeGitHub {
  const gh = new FakeGitHub();
  gh.commits = linearCommits(commits);
  gh.pull.head = gh.commits[gh.commits.length - 1]!.sha;
  gh.trees.set(gh.mergeBaseTree, new Map([['README.md', 'r1']]));
  gh.trees.set(
    gh.commits[gh.commits.length - 1]!.tree,
    new Map([
      ['README.md', 'r1'],
      ['src/app.ts', 'a1'],
    ]),
  );
  gh.pull.changedFiles = 1;
  return gh;
}

const facts = (gh: FakeGitHub, cache: FactCache, events?: GateEvent[], budget?: RequestBudget) =>
  createGitHubFacts({ client: gh, owner: gh.owner, repo: gh.repo, pullNumber: 7, cache, ...(events ? { events } : {}), ...(budget ? { budget } : {}) });

describe('facts cached across evaluations', () => {
  it('reads what a SHA fixes once, and never serves one range for another', async () => {
    const gh = world(3);
    const cache = new FactCache();
    const first = await facts(gh, cache).commits();
    expect(first.items).toHaveLength(3);
    await facts(gh, cache).commits();
    expect(gh.made(COMPARE)).toHaveLength(1);

    // A push: a new head is a new range, read anew; the old range's commits are not reused for it.
    gh.commits = [...gh.commits, ...linearCommits(2, 'carol', 'new')];
    gh.pull.head = gh.commits[gh.commits.length - 1]!.sha;
    const second = await facts(gh, cache).commits();
    expect(gh.made(COMPARE)).toHaveLength(2);
    expect(second.items.map((c) => c.author.login)).toEqual(['alice', 'alice', 'alice', 'carol', 'carol']);
    expect(second.items[4]!.sha).toBe(gh.pull.head);
  });

  it('re-reads only what the triggering event can change, and revalidates everything on a pull_request event', async () => {
    const gh = world();
    gh.reviews = [{ id: 1, user: 'bob', state: 'APPROVED', commit_id: gh.pull.head }];
    const cache = new FactCache();
    const read = async (events?: GateEvent[]) => {
      const f = facts(gh, cache, events);
      await Promise.all([f.reviews(), f.checks(gh.pull.head)]);
    };
    await read(['pull_request']);
    gh.requests = [];
    await read(['check_run']);
    expect(gh.made(REVIEWS)).toHaveLength(0);
    expect(gh.made(RUNS)).toHaveLength(1);
    gh.requests = [];
    // A suite completes when its runs do: their check_run events revalidate, the suite's does not.
    await read(['check_suite']);
    expect(gh.made(RUNS)).toHaveLength(0);
    gh.requests = [];
    await read(['pull_request_review']);
    expect(gh.made(REVIEWS)).toHaveLength(1);
    expect(gh.made(RUNS)).toHaveLength(0);
    gh.requests = [];
    await read(['pull_request']);
    expect(gh.made(REVIEWS).map((r) => r.status)).toEqual([304]);
    expect(gh.made(RUNS).map((r) => r.status)).toEqual([304]);
  });

  it('sees a dismissed approval at the next review event (no stale approval from the cache)', async () => {
    const gh = world();
    gh.reviews = [{ id: 1, user: 'bob', state: 'APPROVED', commit_id: gh.pull.head }];
    const cache = new FactCache();
    expect((await facts(gh, cache, ['pull_request_review']).reviews()).items.map((r) => r.state)).toEqual(['APPROVED']);
    gh.reviews[0]!.state = 'DISMISSED';
    expect((await facts(gh, cache, ['pull_request_review']).reviews()).items.map((r) => r.state)).toEqual(['DISMISSED']);
  });

  it('sees a changed approval at any event once the reuse window has passed', async () => {
    let now = 5_000_000;
    const gh = world();
    gh.reviews = [{ id: 1, user: 'bob', state: 'APPROVED', commit_id: gh.pull.head }];
    const cache = new FactCache({ now: () => now, reuseMs: 10_000 });
    await facts(gh, cache, ['pull_request_review']).reviews();
    gh.reviews[0]!.state = 'DISMISSED';
    now += 10_001;
    expect((await facts(gh, cache, ['check_run']).reviews()).items.map((r) => r.state)).toEqual(['DISMISSED']);
  });

  it('treats a 304 as unchanged data: a check still running stays running', async () => {
    const gh = world();
    gh.checkRuns = [{ id: 5, name: 'build', status: 'in_progress', conclusion: null }];
    const cache = new FactCache();
    await facts(gh, cache, ['check_run']).checks(gh.pull.head);
    const again = await facts(gh, cache, ['check_run']).checks(gh.pull.head);
    expect(gh.made(RUNS).map((r) => r.status)).toEqual([200, 304]);
    expect(again).toEqual({ complete: true, items: [expect.objectContaining({ name: 'build', status: 'in_progress', conclusion: null })] });
  });

  it('keeps permissions minutes, and forgets them when an event says they changed', async () => {
    let now = 9_000_000;
    const gh = world();
    gh.permissions.set('bob', 'write');
    const cache = new FactCache({ now: () => now });
    const review = (): GateEvent[] => ['pull_request_review'];
    expect(await facts(gh, cache, review()).permission('bob')).toBe('write');
    gh.permissions.set('bob', 'read');
    expect(await facts(gh, cache, review()).permission('bob')).toBe('write');
    expect(gh.made(PERMISSION)).toHaveLength(1);
    await cache.invalidatePermissions('ACME/shop', 'Bob');
    expect(await facts(gh, cache, review()).permission('bob')).toBe('read');
    gh.permissions.delete('bob');
    now += cache.accessTtlMs + 1;
    expect(await facts(gh, cache, review()).permission('bob')).toBe('none');
    // A merge (no triggering event) never relies on a kept permission.
    gh.permissions.set('bob', 'admin');
    expect(await facts(gh, cache).permission('bob')).toBe('admin');
  });

  it('shares facts between replicas through a store, and a failing store only costs requests', async () => {
    const rows = new Map<string, string>();
    const store = {
      get: async (k: string) => rows.get(k),
      set: async (k: string, v: string) => void rows.set(k, v),
      deletePrefix: async (p: string) => {
        for (const k of [...rows.keys()]) if (k.startsWith(p)) rows.delete(k);
      },
    };
    const gh = world(4);
    await facts(gh, new FactCache({ store })).commits();
    const other = await facts(gh, new FactCache({ store })).commits();
    expect(other.items).toHaveLength(4);
    expect(gh.made(COMPARE)).toHaveLength(1);

    const broken = { get: () => Promise.reject(new Error('db down')), set: () => Promise.reject(new Error('db down')), deletePrefix: () => Promise.reject(new Error('db down')) };
    const viaBroken = await facts(gh, new FactCache({ store: broken })).commits();
    expect(viaBroken.items).toHaveLength(4);
    expect(gh.made(COMPARE)).toHaveLength(2);
  });

  it('stays within its size bound, dropping the least recently used facts', async () => {
    const cache = new FactCache({ maxBytes: 10_000 });
    for (let i = 0; i < 50; i++) await cache.immutable(`k${i}`, async () => 'x'.repeat(900));
    expect(cache.size).toBeLessThanOrEqual(11);
    let reread = false;
    await cache.immutable('k0', async () => ((reread = true), 'again'));
    expect(reread).toBe(true);
  });
});

describe('huge ranges', () => {
  it('reads 5,000 commits in 50 compare pages, several at a time after the first', async () => {
    const gh = world(5000);
    let inFlight = 0;
    let most = 0;
    const slow = {
      request: async (route: never, params?: never) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        try {
          return await gh.request(route, params);
        } finally {
          inFlight--;
        }
      },
    };
    const f = createGitHubFacts({ client: slow, owner: 'acme', repo: 'shop', pullNumber: 7, cache: new FactCache() });
    const commits = await f.commits();
    expect(commits.complete).toBe(true);
    expect(commits.items).toHaveLength(5000);
    expect(new Set(commits.items.map((c) => c.sha)).size).toBe(5000);
    expect(gh.made(COMPARE)).toHaveLength(50);
    expect(most).toBeGreaterThan(1);
  });

  it('fails closed past compare’s 10,000 commits, after one request', async () => {
    const gh = world(10_001);
    gh.pull.changedFiles = 12_345;
    const f = facts(gh, new FactCache());
    const commits = await f.commits();
    expect(commits.complete).toBe(false);
    expect(!commits.complete && commits.reason).toBe("too large to evaluate: 10,001 commits / 12,345 files (limit: 10,000 commits, the most GitHub's compare lists)");
    expect(gh.made(COMPARE)).toHaveLength(1);
  });

  it('fails closed when the rate limit left would not cover the range', async () => {
    const gh = world(3000);
    gh.rateRemaining = 120;
    const commits = await facts(gh, new FactCache()).commits();
    expect(!commits.complete && commits.reason).toMatch(
      /^too large to evaluate: 3,000 commits \/ 1 file \(limit: GitHub's rate limit has 118 requests left and 100 are kept for other work; reading the range needs 29 more\)$/,
    );
    expect(gh.made(COMPARE)).toHaveLength(1);
  });

  it('fails closed when the evaluation’s own request budget would not cover the range', async () => {
    const gh = world(3000);
    const commits = await facts(gh, new FactCache(), undefined, new RequestBudget({ maxRequests: 20 })).commits();
    expect(!commits.complete && commits.reason).toMatch(/too large to evaluate: 3,000 commits .*one evaluation makes at most 20 requests/);
  });

  it('lists fewer than 300 changed files from compare itself, with no further request', async () => {
    const gh = world();
    const files = await facts(gh, new FactCache()).files();
    expect(files).toEqual({ complete: true, items: [{ filename: 'src/app.ts', status: 'added' }] });
    expect(gh.made(TREES)).toHaveLength(0);
  });

  it('diffs two recursive trees past compare’s 300 files: exact, in two requests', async () => {
    const gh = world(2);
    const base = new Map<string, string>();
    for (let i = 0; i < 5000; i++) base.set(`keep/f${i}.txt`, `k${i}`);
    for (let i = 0; i < 3000; i++) base.set(`gone/g${i}.txt`, `g${i}`);
    const head = new Map(base);
    for (let i = 0; i < 3000; i++) head.delete(`gone/g${i}.txt`);
    for (let i = 0; i < 4000; i++) head.set(`new/dir${i % 40}/n${i}.txt`, `n${i}`);
    for (let i = 0; i < 3000; i++) head.set(`keep/f${i}.txt`, `changed${i}`);
    gh.trees.set(gh.mergeBaseTree, base);
    gh.trees.set(gh.commits[1]!.tree, head);
    gh.pull.changedFiles = 10_000;
    const files = await facts(gh, new FactCache()).files();
    expect(files.complete).toBe(true);
    expect(files.items).toHaveLength(10_000);
    const by = (s: string) => files.items.filter((f) => f.status === s).length;
    expect([by('added'), by('removed'), by('modified')]).toEqual([4000, 3000, 3000]);
    expect(files.items.find((f) => f.filename === 'keep/f4999.txt')).toBeUndefined();
    expect(gh.made(TREES)).toHaveLength(2);
  });

  it('walks into the differing subtrees only when GitHub truncates a recursive tree', async () => {
    const gh = world(2);
    const base = new Map<string, string>();
    for (let i = 0; i < 200; i++) base.set(`same/deep/s${i}.txt`, `s${i}`);
    base.set('a/old.txt', 'o');
    const head = new Map(base);
    head.set('a/old.txt', 'changed');
    for (let i = 0; i < 400; i++) head.set(`b/c/n${i}.txt`, `n${i}`);
    gh.trees.set(gh.mergeBaseTree, base);
    gh.trees.set(gh.commits[1]!.tree, head);
    gh.truncated.add(gh.mergeBaseTree);
    gh.truncated.add(gh.commits[1]!.tree);
    gh.pull.changedFiles = 401;
    const files = await facts(gh, new FactCache()).files();
    expect(files.complete).toBe(true);
    expect(files.items.map((f) => f.filename).sort()).toEqual(['a/old.txt', ...Array.from({ length: 400 }, (_, i) => `b/c/n${i}.txt`)].sort());
    // Neither `same/` nor its subtree was listed: identical subtrees are skipped.
    const listed = gh.made(TREES).map((r) => String(r.params.tree_sha));
    expect(listed.length).toBeLessThan(10);
  });
});
