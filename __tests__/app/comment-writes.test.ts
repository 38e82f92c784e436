import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { upsertComment } from '../../app/comment-writes.js';
import type { GitHubRequester, Route, RouteParams, RouteResponse } from '../../src/github/client.js';
import { FactCache } from '../../src/github/fact-cache.js';
import { GitHubSandbox } from '../../sandbox/github-sandbox.js';
import { client, installationToken, seedShop } from '../sandbox/support.js';

const MARKER = '<!-- stagegate:test -->';
let sb: GitHubSandbox;
let gh: GitHubRequester;
let routes: string[] = [];
let pr: number;

beforeAll(async () => {
  sb = await GitHubSandbox.start();
  await seedShop(sb);
  await sb.push('acme/shop', { branch: 'staging', files: { 'src/a.ts': 'a\n' }, message: 'Change', author: 'alice' });
  pr = (await sb.openPullRequest({ repo: 'acme/shop', head: 'staging', base: 'production', title: 'Promote', user: 'alice' })).number;
  const octokit = client(sb, await installationToken(sb, 'acme', 'shop'));
  gh = {
    request<R extends Route>(route: R, params?: RouteParams<R>): Promise<RouteResponse<R>> {
      routes.push(route);
      return octokit.request(route, params as never);
    },
  };
});
afterAll(async () => {
  expect(sb.violations).toEqual([]);
  await sb.stop();
});

const ours = async () => (await sb.comments('acme/shop', pr)).filter((c) => c.body.includes(MARKER));

describe('gate comment writes', () => {
  it('writes nothing for an unchanged body, one PATCH for a changed one, and never duplicates the comment', async () => {
    const memory = new FactCache();
    const target = { owner: 'acme', repo: 'shop', issueNumber: pr, marker: MARKER, author: 'stagegate[bot]' };
    expect(await upsertComment(gh, { ...target, body: `${MARKER}\none` }, memory)).toMatchObject({ action: 'created' });
    expect(routes).toEqual(['GET /repos/{owner}/{repo}/issues/{issue_number}/comments', 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments']);

    routes = [];
    expect(await upsertComment(gh, { ...target, body: `${MARKER}\none` }, memory)).toMatchObject({ action: 'unchanged' });
    expect(routes).toEqual([]);

    expect(await upsertComment(gh, { ...target, body: `${MARKER}\ntwo` }, memory)).toMatchObject({ action: 'updated' });
    expect(routes).toEqual(['PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}']);
    expect((await ours()).map((c) => c.body)).toEqual([`${MARKER}\ntwo`]);

    // A process that remembers nothing (a restart, another replica) finds the comment and leaves it alone.
    routes = [];
    expect(await upsertComment(gh, { ...target, body: `${MARKER}\ntwo` }, new FactCache())).toMatchObject({ action: 'unchanged' });
    expect(routes).toEqual(['GET /repos/{owner}/{repo}/issues/{issue_number}/comments']);
  });

  it('recreates a remembered comment that was deleted', async () => {
    const memory = new FactCache();
    const target = { owner: 'acme', repo: 'shop', issueNumber: pr, marker: `${MARKER}-2`, author: 'stagegate[bot]' };
    const { id } = await upsertComment(gh, { ...target, body: `${MARKER}-2 a` }, memory);
    sb.repo('acme/shop').comments.delete(id);
    routes = [];
    const again = await upsertComment(gh, { ...target, body: `${MARKER}-2 b` }, memory);
    expect(again.action).toBe('created');
    expect(again.id).not.toBe(id);
    expect(routes).toEqual([
      'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}',
      'GET /repos/{owner}/{repo}/issues/{issue_number}/comments',
      'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
    ]);
    expect((await sb.comments('acme/shop', pr)).filter((c) => c.body.includes(`${MARKER}-2`))).toHaveLength(1);
  });
});
