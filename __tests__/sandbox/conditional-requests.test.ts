import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { GitHubSandbox } from '../../sandbox/github-sandbox.js';
import { summarize } from '../../sandbox/http/ledger.js';
import { client, installationToken, seedShop } from './support.js';

let sb: GitHubSandbox;
let token: string;

async function get(path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${sb.apiUrl}${path}`, { headers: { authorization: `token ${token}`, accept: 'application/vnd.github+json', ...headers } });
}

async function start(opts: Parameters<typeof GitHubSandbox.start>[0] = {}): Promise<void> {
  sb = await GitHubSandbox.start(opts);
  await seedShop(sb);
  await sb.push('acme/shop', { branch: 'staging', files: { 'src/a.ts': 'a\n', 'docs/x.md': 'x\n' }, message: 'Change', author: 'alice' });
  await sb.openPullRequest({ repo: 'acme/shop', head: 'staging', base: 'production', title: 'Promote', user: 'alice' });
  token = await installationToken(sb, 'acme', 'shop');
}

afterEach(async () => {
  expect(sb.violations).toEqual([]);
  await sb.stop();
});

describe('conditional requests, as GitHub answers them', () => {
  beforeEach(() => start());

  it('tags a GET with an ETag and answers a matching If-None-Match with a free 304', async () => {
    const first = await get('/repos/acme/shop/pulls/1');
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^W\/"[0-9a-f]{40}"$/);
    const remaining = Number(first.headers.get('x-ratelimit-remaining'));

    const again = await get('/repos/acme/shop/pulls/1', { 'if-none-match': etag! });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect(Number(again.headers.get('x-ratelimit-remaining'))).toBe(remaining);

    await sb.push('acme/shop', { branch: 'staging', files: { 'src/b.ts': 'b\n' }, message: 'More', author: 'alice' });
    const changed = await get('/repos/acme/shop/pulls/1', { 'if-none-match': etag! });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect(Number(changed.headers.get('x-ratelimit-remaining'))).toBe(remaining - 1);
  });

  it('records every request in the ledger: route template, status, conditional, caller, counted', async () => {
    const mark = sb.ledger.mark();
    const first = await get('/repos/acme/shop/pulls/1/reviews');
    await get('/repos/acme/shop/pulls/1/reviews', { 'if-none-match': first.headers.get('etag')! });
    await client(sb, token).issues.createComment({ owner: 'acme', repo: 'shop', issue_number: 1, body: 'hello' });
    const entries = sb.ledger.since(mark);
    const inst = [...sb.installations.values()].find((i) => i.account.login === 'acme')!.id;
    expect(entries.map((e) => [e.method, e.route, e.status, e.conditional, e.counted, e.actor])).toEqual([
      ['GET', '/repos/{owner}/{repo}/pulls/{pull_number}/reviews', 200, false, true, `installation:${inst}`],
      ['GET', '/repos/{owner}/{repo}/pulls/{pull_number}/reviews', 304, true, false, `installation:${inst}`],
      ['POST', '/repos/{owner}/{repo}/issues/{issue_number}/comments', 201, false, true, `installation:${inst}`],
    ]);
    expect(summarize(entries)).toMatchObject({ requests: 3, writes: 1, conditional: 1, notModified: 1, counted: 2 });
  });

  it('refuses requests past the rate limit with 403, as GitHub does', async () => {
    const inst = [...sb.installations.values()].find((i) => i.account.login === 'acme')!.id;
    sb.rateLimits.setRemaining(`installation:${inst}`, 1);
    const last = await get('/repos/acme/shop/pulls/1');
    expect(last.status).toBe(200);
    expect(last.headers.get('x-ratelimit-remaining')).toBe('0');
    // A conditional request that GitHub would answer 304 is still refused once nothing is left.
    const refused = await get('/repos/acme/shop/pulls/1');
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { message: string }).message).toMatch(/^API rate limit exceeded for installation ID \d+\.$/);
  });

  it('lists a tree one level or recursively', async () => {
    const one = (await (await get('/repos/acme/shop/git/trees/staging')).json()) as { tree: { path: string; type: string }[]; truncated: boolean };
    expect(one.tree.map((e) => `${e.type} ${e.path}`).sort()).toEqual(['blob README.md', 'tree .github', 'tree docs', 'tree src']);
    const all = (await (await get('/repos/acme/shop/git/trees/staging?recursive=1')).json()) as { tree: { path: string; type: string; mode: string }[]; truncated: boolean };
    expect(all.truncated).toBe(false);
    expect(all.tree.filter((e) => e.type === 'blob').map((e) => e.path)).toEqual(expect.arrayContaining(['src/a.ts', 'docs/x.md', 'README.md', '.github/stagegate.yml']));
    expect(all.tree.find((e) => e.path === 'src/a.ts')?.mode).toBe('100644');
    expect((await get('/repos/acme/shop/git/trees/0000000000000000000000000000000000000000')).status).toBe(404);
  });
});

describe('limits', () => {
  it('truncates a recursive tree past the listing limit and sets truncated', async () => {
    await start({ limits: { treeEntries: 3 } });
    const all = (await (await get('/repos/acme/shop/git/trees/staging?recursive=1')).json()) as { tree: unknown[]; truncated: boolean };
    expect(all).toMatchObject({ truncated: true });
    expect(all.tree).toHaveLength(3);
  });

  it('pushes many commits with distinct new files each, quickly', async () => {
    await start();
    const shas = await sb.pushMany('acme/shop', 'staging', 300, 'alice', { filesPerCommit: 2 });
    expect(shas).toHaveLength(300);
    const tree = (await (await get(`/repos/acme/shop/git/trees/${shas[299]}?recursive=1`)).json()) as { tree: { path: string; type: string }[] };
    expect(tree.tree.filter((e) => e.type === 'blob' && e.path.startsWith('many/'))).toHaveLength(600);
  });
});
