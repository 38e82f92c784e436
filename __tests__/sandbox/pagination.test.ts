import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { GitHubSandbox } from '../../sandbox/github-sandbox.js';
import { client, seedShop } from './support.js';

const o = { owner: 'acme', repo: 'shop' };
let sb: GitHubSandbox;
let pushed: string[] = [];
let prNumber = 0;

beforeAll(async () => {
  sb = await GitHubSandbox.start();
  await seedShop(sb);
  pushed = await sb.pushMany('acme/shop', 'master', 310, 'alice');
  prNumber = (await sb.openPullRequest({ repo: 'acme/shop', head: 'master', base: 'staging', title: 'big promotion', user: 'alice' })).number;
}, 120_000);

afterAll(async () => {
  await sb?.stop();
});

// Each test stays within GitHub's REST and webhook contracts (violations are reported by the test that made them).
afterEach(() => {
  expect(sb.violations.splice(0)).toEqual([]);
});

describe('pagination as GitHub does it', () => {
  it('compare without paging returns the first 250 commits and the true total', async () => {
    const gh = client(sb, sb.tokenFor('bob'));
    const res = await gh.repos.compareCommitsWithBasehead({ ...o, basehead: 'staging...master' });
    expect(res.data.total_commits).toBe(310);
    expect(res.data.ahead_by).toBe(310);
    expect(res.data.status).toBe('ahead');
    expect(res.data.commits).toHaveLength(250);
    expect(res.data.commits[0]?.sha).toBe(pushed[0]);
    expect(res.headers.link).toBeUndefined();
    expect(res.data.files?.length).toBe(50);
  });

  it('compare pages through every commit with per_page/page and Link headers, files on page 1 only', async () => {
    const gh = client(sb, sb.tokenFor('bob'));
    const first = await gh.repos.compareCommitsWithBasehead({ ...o, basehead: 'staging...master', per_page: 100, page: 1 });
    expect(first.headers.link).toContain('rel="next"');
    expect(first.headers.link).toContain('page=4');
    expect(first.headers.link).toContain('/api/v3/repos/acme/shop/compare/');
    const shas: string[] = [];
    let fileCounts: number[] = [];
    for (let page = 1; page <= 4; page++) {
      const res = await gh.repos.compareCommitsWithBasehead({ ...o, basehead: 'staging...master', per_page: 100, page });
      shas.push(...res.data.commits.map((c) => c.sha));
      fileCounts = [...fileCounts, res.data.files?.length ?? 0];
      if (page === 4) expect(res.headers.link).not.toContain('rel="next"');
    }
    expect(shas).toEqual(pushed);
    expect(fileCounts).toEqual([50, 0, 0, 0]);
  });

  it('octokit.paginate follows Link headers on list endpoints; PR commits stop at 250', async () => {
    const gh = client(sb, sb.tokenFor('bob'));
    const commits = await gh.paginate(gh.pulls.listCommits, { ...o, pull_number: prNumber, per_page: 100 });
    expect(commits).toHaveLength(250);
    expect(commits.map((c) => c.sha)).toEqual(pushed.slice(0, 250));
    const files = await gh.paginate(gh.pulls.listFiles, { ...o, pull_number: prNumber, per_page: 7 });
    expect(new Set(files.map((f) => f.filename)).size).toBe(50);
    const pr = await gh.pulls.get({ ...o, pull_number: prNumber });
    expect(pr.data.commits).toBe(310);
  });

  it('compares diverged branches and identical refs', async () => {
    await sb.push('acme/shop', { branch: 'staging', files: { 'hotfix.txt': 'x\n' }, message: 'hotfix', author: 'bob' });
    const gh = client(sb, sb.tokenFor('bob'));
    const diverged = await gh.repos.compareCommitsWithBasehead({ ...o, basehead: 'staging...master' });
    expect([diverged.data.status, diverged.data.ahead_by, diverged.data.behind_by]).toEqual(['diverged', 310, 1]);
    const same = await gh.repos.compareCommitsWithBasehead({ ...o, basehead: 'master...master' });
    expect([same.data.status, same.data.total_commits]).toEqual(['identical', 0]);
    await expect(gh.repos.compareCommitsWithBasehead({ ...o, basehead: 'staging...nope' })).rejects.toMatchObject({ status: 404 });
  });
});
