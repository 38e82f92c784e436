import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Octokit } from '@octokit/rest';
import { checkMark, ci, createShopRepo, demoConfig, gateCheck, startWorld, verdictOf, waitForGate, type World } from '../../sandbox/story.js';

// Adversarial stories on the same sandbox, the real app server and the real Action bundle. Each test
// works in its own repository of the same world (acme/<name>).

let world: World;

beforeAll(async () => {
  world = await startWorld();
}, 150_000);

afterAll(async () => {
  await world?.stop();
}, 60_000);

// Each story stays within GitHub's REST and webhook contracts (violations are reported by the test that made them).
afterEach(() => {
  expect(world.sb.violations.splice(0)).toEqual([]);
});

/** A new repo with a feature by alice on master (CI green) and a master → staging PR opened by `opener`. */
async function promotion(
  name: string,
  opts: { opener?: string; coAuthors?: Array<string | { name: string; email: string }>; files?: Record<string, string>; config?: string } = {},
): Promise<{ repo: string; pr: number; head: string }> {
  const { sb } = world;
  await createShopRepo(world, name, opts.config);
  const repo = `acme/${name}`;
  const head = await sb.push(repo, {
    branch: 'master',
    files: opts.files ?? { 'src/feature.ts': `export const feature = '${name}';\n` },
    message: `feat: ${name}`,
    author: 'alice',
    ...(opts.coAuthors ? { coAuthors: opts.coAuthors } : {}),
  });
  await ci(sb, head, repo);
  const mark = checkMark(sb, repo);
  const pr = await sb.openPullRequest({ repo, head: 'master', base: 'staging', title: `Promote ${name}`, user: opts.opener ?? 'alice' });
  await waitForGate(sb, head, () => true, mark, 30_000, repo);
  return { repo, pr: pr.number, head };
}

function stagegateDeployments(repo: string): number {
  return world.sb.deploymentsOf(repo).filter((d) => d.description !== 'an earlier Stagegate release' && (d.payload as { kind?: string }).kind !== 'rollback').length;
}

describe('adversarial promotions', () => {
  it('counts a child team’s member for the parent team in reviewers, exactly as GitHub reports the membership', async () => {
    const { sb } = world;
    sb.createUser({ login: 'dave', name: 'Dave Deputy', email: 'dave@acme.test' });
    sb.createTeam('acme', { slug: 'release-deputies', parent: 'release-managers', members: ['dave'] });
    const config = demoConfig(world.staging, world.production, world.prom).replace(
      '    signoff:\n      approvals: 1\n',
      '    signoff:\n      approvals: 1\n      reviewers: ["@acme/release-managers"]\n',
    );
    const { repo, pr, head } = await promotion('deputies', { config });
    sb.addCollaborator(repo, 'dave', 'write');
    let mark = checkMark(sb, repo);
    await sb.review({ repo, pr, user: 'bob', event: 'APPROVE', commitId: head });
    expect(verdictOf(await waitForGate(sb, head, () => true, mark, 30_000, repo))).toBe('pending');
    mark = checkMark(sb, repo);
    await sb.review({ repo, pr, user: 'dave', event: 'APPROVE', commitId: head });
    expect(verdictOf(await waitForGate(sb, head, () => true, mark, 30_000, repo))).toBe('success');
  }, 90_000);

  it('blocks on a co-author nobody can identify, and settles (its own check suite does not re-trigger it)', async () => {
    const { sb } = world;
    const { repo, pr, head } = await promotion('ghostwriter', { coAuthors: [{ name: 'Ghost', email: 'ghost@nowhere.test' }] });
    const mark = checkMark(sb, repo);
    await sb.review({ repo, pr, user: 'bob', event: 'APPROVE', commitId: head });
    const gate = await waitForGate(sb, head, () => true, mark, 30_000, repo);
    expect(verdictOf(gate)).toBe('failure');
    expect(`${gate.output.summary ?? ''}${gate.output.text ?? ''}`).toContain('ghost@nowhere.test');
    const runs = () => sb.checkRunsFor(repo, head).filter((c) => c.name === 'stagegate').length;
    const settled = runs();
    await new Promise((r) => setTimeout(r, 4000));
    expect(runs()).toBe(settled);
  }, 90_000);

  it('a stale approval (of an earlier head) does not count', async () => {
    const { sb } = world;
    const { repo, pr, head } = await promotion('stale');
    let mark = checkMark(sb, repo);
    await sb.review({ repo, pr, user: 'bob', event: 'APPROVE', commitId: head });
    expect(verdictOf(await waitForGate(sb, head, () => true, mark, 30_000, repo))).toBe('success');
    const newHead = await sb.push(repo, { branch: 'master', files: { 'src/late.ts': 'export const late = true;\n' }, message: 'late change', author: 'alice' });
    await ci(sb, newHead, repo);
    await sb.settled();
    const gate = await waitForGate(sb, newHead, () => true, 0, 30_000, repo);
    expect(verdictOf(gate)).toBe('pending');
    expect(gateCheck(sb, newHead, repo)?.conclusion).not.toBe('success');
    mark = checkMark(sb, repo);
    await sb.review({ repo, pr, user: 'bob', event: 'APPROVE', commitId: newHead });
    expect(verdictOf(await waitForGate(sb, newHead, () => true, mark, 30_000, repo))).toBe('success');
  }, 90_000);

  it('self-approval: GitHub refuses the PR author’s approval, and the gate ignores a commit author’s', async () => {
    const { sb } = world;
    const { repo, pr, head } = await promotion('selfie', { opener: 'bob' });
    const bobClient = new Octokit({ baseUrl: sb.apiUrl, auth: sb.tokenFor('bob'), log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } });
    const [owner, name] = repo.split('/') as [string, string];
    await expect(bobClient.pulls.createReview({ owner, repo: name, pull_number: pr, event: 'APPROVE' })).rejects.toMatchObject({ status: 422 });
    const mark = checkMark(sb, repo);
    await sb.review({ repo, pr, user: 'alice', event: 'APPROVE', commitId: head });
    const gate = await waitForGate(sb, head, () => true, mark, 30_000, repo);
    expect(verdictOf(gate)).toBe('pending');
    expect(`${gate.output.summary ?? ''}${gate.output.text ?? ''}`).toMatch(/alice/);
  }, 90_000);

  it('a co-author’s approval does not count', async () => {
    const { sb } = world;
    const { repo, pr, head } = await promotion('coauthor', { coAuthors: ['carol'] });
    let mark = checkMark(sb, repo);
    await sb.review({ repo, pr, user: 'carol', event: 'APPROVE', commitId: head });
    const gate = await waitForGate(sb, head, () => true, mark, 30_000, repo);
    expect(verdictOf(gate)).toBe('pending');
    expect(`${gate.output.summary ?? ''}${gate.output.text ?? ''}`).toMatch(/carol/);
    mark = checkMark(sb, repo);
    await sb.review({ repo, pr, user: 'bob', event: 'APPROVE', commitId: head });
    expect(verdictOf(await waitForGate(sb, head, () => true, mark, 30_000, repo))).toBe('success');
  }, 90_000);

  it('a webhook with a bad or a missing signature is rejected and changes nothing', async () => {
    const { sb } = world;
    const { repo, pr, head } = await promotion('forged');
    const mark = checkMark(sb, repo);
    await sb.review({ repo, pr, user: 'bob', event: 'APPROVE', commitId: head });
    await waitForGate(sb, head, (v) => v === 'success', mark, 30_000, repo);
    await sb.settled();
    const opened = sb.deliveries.find((d) => d.event === 'pull_request' && d.action === 'opened' && (d.payload.repository as { full_name: string }).full_name === repo);
    if (!opened) throw new Error('no opened delivery');
    const forgedPayload = JSON.parse(opened.body) as Record<string, unknown>;
    forgedPayload.action = 'closed';
    Object.assign(forgedPayload.pull_request as Record<string, unknown>, { state: 'closed', merged: true, merged_at: new Date().toISOString(), merge_commit_sha: head });
    const before = { checks: sb.repo(repo).checkRuns.size, comments: sb.repo(repo).comments.size, deployments: sb.deploymentsOf(repo).length, runs: sb.runner.runs.length };
    const bad = sb.sendForged('pull_request', forgedPayload, 'bad');
    const missing = sb.sendForged('pull_request', forgedPayload, 'missing');
    await sb.settled();
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(bad.status).toBeLessThan(500);
    expect(missing.status).toBeGreaterThanOrEqual(400);
    expect(missing.status).toBeLessThan(500);
    expect({ checks: sb.repo(repo).checkRuns.size, comments: sb.repo(repo).comments.size, deployments: sb.deploymentsOf(repo).length, runs: sb.runner.runs.length }).toEqual(before);
  }, 90_000);

  it('the same merge delivery twice makes one deployment and one workflow run', async () => {
    const { sb } = world;
    const { repo, pr, head } = await promotion('replay');
    const mark = checkMark(sb, repo);
    await sb.review({ repo, pr, user: 'bob', event: 'APPROVE', commitId: head });
    await waitForGate(sb, head, (v) => v === 'success', mark, 30_000, repo);
    await sb.merge(repo, pr, 'bob');
    const run = await sb.waitForWorkflowRun((r) => r.repo === repo, 120_000);
    expect(run.outputs.result).toBe('success');
    const closed = sb.deliveries.find((d) => d.event === 'pull_request' && d.action === 'closed' && (d.payload.repository as { full_name: string }).full_name === repo);
    if (!closed) throw new Error('no closed delivery');
    const replay = sb.redeliver(closed.id);
    await sb.settled();
    expect(replay.status).toBe(200);
    expect(stagegateDeployments(repo)).toBe(1);
    expect(sb.runner.runs.filter((r) => r.repo === repo)).toHaveLength(1);
  }, 150_000);

  it('retargeting the base after approval re-evaluates the gate under the new stage', async () => {
    const { sb } = world;
    const { repo, pr, head } = await promotion('retarget');
    let mark = checkMark(sb, repo);
    await sb.review({ repo, pr, user: 'bob', event: 'APPROVE', commitId: head });
    await waitForGate(sb, head, (v) => v === 'success', mark, 30_000, repo);
    mark = checkMark(sb, repo);
    const r = sb.repo(repo);
    await sb.retarget(r, sb.pull(repo, pr), 'production', sb.account('alice'));
    const gate = await waitForGate(sb, head, () => true, mark, 30_000, repo);
    expect(verdictOf(gate)).not.toBe('success');
  }, 90_000);

  it('a PR from a fork is never a promotion: no gate, and merging it deploys nothing', async () => {
    const { sb } = world;
    await createShopRepo(world, 'forkable');
    const repo = 'acme/forkable';
    if (!sb.findAccount('mallory')) sb.createUser({ login: 'mallory', email: 'mallory@evil.test' });
    await sb.fork(repo, 'mallory');
    const head = await sb.push('mallory/forkable', { branch: 'master', files: { 'src/evil.ts': 'export const evil = 1;\n' }, message: 'feat: totally fine', author: 'mallory' });
    const pr = await sb.openPullRequest({ repo, head: 'master', headRepo: 'mallory/forkable', base: 'staging', title: 'Promote (from a fork)', user: 'mallory' });
    await ci(sb, head, repo);
    await sb.review({ repo, pr: pr.number, user: 'bob', event: 'APPROVE', commitId: head });
    await sb.merge(repo, pr.number, 'bob');
    await sb.settled();
    expect(gateCheck(sb, head, repo)).toBeNull();
    expect(stagegateDeployments(repo)).toBe(0);
    expect(sb.runner.runs.filter((r) => r.repo === repo)).toHaveLength(0);
  }, 90_000);

  it('a configuration change in the PR head is not used: the base branch’s policy decides', async () => {
    const { sb } = world;
    const lax = await sb.repo('acme/shop').git.readPath((await sb.repo('acme/shop').git.branchSha('master')) ?? '', '.github/stagegate.yml');
    if (!lax || lax.type !== 'blob') throw new Error('no config');
    const relaxed = lax.content.toString('utf8').replace('    signoff:\n      approvals: 1\n', '    signoff:\n      approvals: 0\n');
    expect(relaxed).not.toBe(lax.content.toString('utf8'));
    const { repo, head } = await promotion('selfserve', { files: { '.github/stagegate.yml': relaxed } });
    await sb.settled();
    const gate = gateCheck(sb, head, repo);
    expect(gate && verdictOf(gate)).toBe('pending');
  }, 90_000);
});
