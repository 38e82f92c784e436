import { describe, expect, it } from '@jest/globals';
import type { GitHubRequester, Route, RouteParams, RouteResponse } from '../../src/github/client.js';
import { conditionalGet, conditionalPages, requestKey } from '../../src/github/conditional.js';
import { FactCache } from '../../src/github/fact-cache.js';
import { FakeGitHub } from './support.js';

const PR = 'GET /repos/{owner}/{repo}/pulls/{pull_number}' as const;
const REVIEWS = 'GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews' as const;
const params = { owner: 'acme', repo: 'shop', pull_number: 7 };

describe('conditional requests', () => {
  it('revalidates with If-None-Match and treats a 304 as the kept copy, unchanged', async () => {
    const gh = new FakeGitHub();
    const cache = new FactCache();
    const first = await conditionalGet(gh, cache, PR, params);
    expect(first).toMatchObject({ notModified: false, reused: false });
    const before = gh.rateRemaining;
    const second = await conditionalGet(gh, cache, PR, params);
    expect(second.notModified).toBe(true);
    expect(second.data).toEqual(first.data);
    expect(gh.requests.map((r) => [r.status, r.conditional])).toEqual([
      [200, false],
      [304, true],
    ]);
    expect(gh.rateRemaining).toBe(before);

    gh.pull.head = 'n'.repeat(40);
    const third = await conditionalGet(gh, cache, PR, params);
    expect(third.notModified).toBe(false);
    expect(third.data.head.sha).toBe('n'.repeat(40));
  });

  it('never takes a 304 for success: without a kept copy it is an error, not an empty answer', async () => {
    const rogue: GitHubRequester = {
      request<R extends Route>(_route: R, _params?: RouteParams<R>): Promise<RouteResponse<R>> {
        return Promise.resolve({ status: 304, url: '', headers: {}, data: '' } as unknown as RouteResponse<R>);
      },
    };
    await expect(conditionalGet(rogue, new FactCache(), PR, params)).rejects.toThrow(/304 Not Modified .* no copy was kept/);
    const thrower: GitHubRequester = {
      request: () => Promise.reject(Object.assign(new Error('Not modified'), { status: 304 })),
    };
    await expect(conditionalGet(thrower, new FactCache(), REVIEWS, params)).rejects.toThrow(/304/);
    // A copy kept without an ETag was never offered for confirmation, so a 304 cannot confirm it either.
    const cache = new FactCache();
    await cache.putHttp(requestKey(PR, params), { etag: '', data: { number: 7 }, validatedAt: 0 });
    await expect(conditionalGet(rogue, cache, PR, params)).rejects.toThrow(/304 Not Modified/);
  });

  it('is for reads only', async () => {
    await expect(
      conditionalGet(new FakeGitHub(), new FactCache(), 'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}' as never, { owner: 'a', repo: 'b', comment_id: 1 } as never),
    ).rejects.toThrow(/reads only/);
  });

  it('reuses a copy without asking only inside the reuse window', async () => {
    let now = 1_000_000;
    const gh = new FakeGitHub();
    const cache = new FactCache({ now: () => now });
    await conditionalGet(gh, cache, PR, params, { reuseMs: 10_000 });
    const reused = await conditionalGet(gh, cache, PR, params, { reuseMs: 10_000 });
    expect(reused.reused).toBe(true);
    expect(gh.requests).toHaveLength(1);
    now += 10_001;
    const later = await conditionalGet(gh, cache, PR, params, { reuseMs: 10_000 });
    expect(later).toMatchObject({ reused: false, notModified: true });
    expect(gh.requests).toHaveLength(2);
  });

  it('sees a listing that grew by a page although its old last page is unchanged', async () => {
    const gh = new FakeGitHub();
    const cache = new FactCache();
    gh.reviews = Array.from({ length: 100 }, (_, i) => ({ id: i + 1, user: `u${i}`, state: 'APPROVED', commit_id: 'h'.repeat(40) }));
    const read = () => conditionalPages(gh, cache, REVIEWS, params, (d) => d);
    expect((await read()).items).toHaveLength(100);
    gh.reviews.push({ id: 101, user: 'late', state: 'CHANGES_REQUESTED', commit_id: 'h'.repeat(40) });
    const grown = await read();
    expect(grown.complete).toBe(true);
    expect(grown.items.map((r) => r.user?.login)).toContain('late');
    // The first page was unchanged (304) and full, so page 2 was asked for although no Link named it.
    expect(gh.made(REVIEWS).map((r) => [r.params.page, r.status])).toEqual([
      [1, 200],
      [1, 304],
      [2, 200],
    ]);
  });
});
