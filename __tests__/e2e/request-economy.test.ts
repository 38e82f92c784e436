import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { GitHubSandbox } from '../../sandbox/github-sandbox.js';
import { summarize, type LedgerEntry } from '../../sandbox/http/ledger.js';
import { startStack, type Stack } from '../../sandbox/stack.js';

// The real app server against the sandbox, its requests read from the sandbox's request ledger:
// what a SHA fixes is read once, unchanged facts answer 304, and an unchanged result writes nothing.

const POLICY = `stages:
  - name: production
    branch: production
    from: staging
    signoff:
      approvals: 2
    checks: [build]
`;

let stack: Stack;
let sb: GitHubSandbox;
let pr = 0;
let head = '';

const fromApp = (e: LedgerEntry): boolean => !e.actor.startsWith('user:');

// Quiet for a second: an evaluation can think without a request for a while on a loaded machine, and its
// late writes must not be counted in the next step.
async function step(act: () => Promise<unknown>): Promise<LedgerEntry[]> {
  await sb.settled(60_000, 1000);
  const mark = sb.ledger.mark();
  await act();
  await sb.settled(60_000, 1000);
  return sb.ledger.since(mark, fromApp);
}

const gate = () =>
  sb
    .checkRunsFor('acme/shop', head)
    .filter((c) => c.name === 'stagegate')
    .at(-1);
const route = (entries: LedgerEntry[], r: string) => entries.filter((e) => e.route === r);

beforeAll(async () => {
  stack = await startStack();
  sb = stack.sb;
  for (const login of ['alice', 'bob', 'carol']) sb.createUser({ login, email: `${login}@acme.test` });
  sb.createOrg({ login: 'acme' });
  await sb.createRepo({ owner: 'acme', name: 'shop', defaultBranch: 'master', branches: ['staging', 'production'], files: { '.github/stagegate.yml': POLICY }, author: 'alice' });
  for (const u of ['alice', 'bob', 'carol']) sb.addCollaborator('acme/shop', u, 'write');
  head = await sb.push('acme/shop', { branch: 'staging', files: { 'src/app.ts': 'v2\n' }, message: 'Ship v2', author: 'alice' });
}, 120_000);

afterAll(async () => {
  expect(sb?.violations).toEqual([]);
  await stack?.stop();
}, 60_000);

describe('request economy of the app server', () => {
  it('reads the range once for the life of the promotion, and re-reads nothing unchanged at full cost', async () => {
    const opened = await step(async () => {
      pr = (await sb.openPullRequest({ repo: 'acme/shop', head: 'staging', base: 'production', title: 'Promote', user: 'alice' })).number;
    });
    expect(route(opened, '/repos/{owner}/{repo}/compare/{basehead}')).toHaveLength(1);
    expect(gate()?.status).toBe('in_progress');

    const checked = await step(() => sb.addCheckRun('acme/shop', { headSha: head, name: 'build', conclusion: 'success' }));
    expect(route(checked, '/repos/{owner}/{repo}/compare/{basehead}')).toHaveLength(0);
    // Reviews cannot change on a check event: reused, or confirmed by a free 304; never read again in full.
    expect(route(checked, '/repos/{owner}/{repo}/pulls/{pull_number}/reviews').filter((e) => e.status === 200)).toHaveLength(0);
    expect(route(checked, '/repos/{owner}/{repo}/commits/{ref}/check-runs').length).toBeGreaterThan(0);

    const reviewed = await step(async () => {
      await sb.review({ repo: 'acme/shop', pr, user: 'bob', event: 'APPROVE' });
      await sb.settled(60_000, 1000);
      await sb.review({ repo: 'acme/shop', pr, user: 'carol', event: 'APPROVE' });
    });
    expect(route(reviewed, '/repos/{owner}/{repo}/compare/{basehead}')).toHaveLength(0);
    expect(gate()?.conclusion).toBe('success');
  }, 120_000);

  it('makes no write and only conditional reads when an unchanged event is delivered again', async () => {
    await sb.waitFor(() => (gate()?.conclusion === 'success' ? true : null), 60_000, 'the green gate');
    const last = [...sb.deliveries].reverse().find((d) => d.event === 'pull_request_review');
    expect(last).toBeDefined();
    const comment = [...sb.repo('acme/shop').comments.values()].find((c) => c.issueNumber === pr);
    const before = { comment: comment?.body, updated: comment?.updatedAt, checks: sb.checkRunsFor('acme/shop', head).length };
    const again = await step(async () => sb.redeliver(last!.id));
    const s = summarize(again);
    expect(s.writes).toBe(0);
    expect(s.requests).toBeGreaterThan(0);
    expect(s.requests).toBeLessThanOrEqual(7);
    expect(again.filter((e) => !e.conditional).map((e) => `${e.method} ${e.route} ${e.status}`)).toEqual([]);
    // Every read is answered 304, except the check runs of the head once they are revalidated (past the 10 s reuse
    // window on a slow machine): the app's own last check run changed that listing after it was read.
    const changed = again.filter((e) => e.status !== 304 && e.route !== '/repos/{owner}/{repo}/commits/{ref}/check-runs');
    expect(changed.map((e) => `${e.method} ${e.route} ${e.status}`)).toEqual([]);
    const after = [...sb.repo('acme/shop').comments.values()].find((c) => c.issueNumber === pr);
    expect({ comment: after?.body, updated: after?.updatedAt, checks: sb.checkRunsFor('acme/shop', head).length }).toEqual(before);
    expect(after?.body).not.toMatch(/Evaluated at/);
  }, 60_000);
});
