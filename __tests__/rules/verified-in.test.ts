import { describe, expect, it } from '@jest/globals';
import { FAKE_ACTIONS_APP, fakeDeploys, fakeFacts, type FakeDeploy, type FakeFactsInput } from '../../src/facts/fake.js';
import type { RuleState } from '../../src/gate/types.js';
import { verifiedInRule } from '../../src/rules/verified-in.js';
import { HEAD, OTHER, ctxOf, productConfig } from './support.js';

const NOW = new Date('2026-11-24T09:00:00Z');
const ago = (min: number): string => new Date(NOW.getTime() - min * 60_000).toISOString();
/** How the rule names a time (to the second, no milliseconds). */
const at = (min: number): string => ago(min).replace(/\.\d{3}Z$/, 'Z');

/** A Stagegate deployment to staging created `createdMin` ago whose newest status is `state`, `statusMin` ago, from its own successful run. */
const dep = (id: number, sha: string, createdMin: number, state: string | null, statusMin = createdMin - 5, over: Partial<FakeDeploy> = {}): FakeDeploy => ({
  id,
  sha,
  environment: 'staging',
  createdAt: ago(createdMin),
  status: state === null ? null : { state, createdAt: ago(statusMin) },
  ...over,
});

async function judge(list: FakeDeploy[], extra: Partial<FakeFactsInput> = {}, config = productConfig()) {
  const facts = fakeFacts({ pullRequest: { headSha: HEAD }, ...fakeDeploys(list), ...extra });
  return { result: await verifiedInRule.evaluate(ctxOf(config, 'production', facts, NOW)), facts };
}

describe('verified in staging, soak 30m (production)', () => {
  it.each<[string, FakeDeploy[], Record<string, string>, RuleState, string, string | undefined]>([
    ['not deployed yet', [], {}, 'pending', 'head 5d6e7f8 not yet deployed to staging by Stagegate', undefined],
    ['head verified 45m ago', [dep(7, HEAD, 60, 'success', 45)], {}, 'passed', `head verified in staging by run 700 at ${at(45)} (soak 30m)`, undefined],
    ['head verified exactly 30m ago', [dep(7, HEAD, 40, 'success', 30)], {}, 'passed', `head verified in staging by run 700 at ${at(30)} (soak 30m)`, undefined],
    [
      'a commit with the identical tree verified 45m ago',
      [dep(7, OTHER, 60, 'success', 45)],
      { [OTHER]: 'tree-1', [HEAD]: 'tree-1' },
      'passed',
      `9e9e9e9 (same tree as head 5d6e7f8) verified in staging by run 700 at ${at(45)} (soak 30m)`,
      undefined,
    ],
    ['soak not yet elapsed', [dep(7, HEAD, 20, 'success', 12)], {}, 'pending', `head verified in staging by run 700 at ${at(12)}; soak 30m ends at 2026-11-24T09:18:00Z`, '2026-11-24T09:18:00.000Z'],
    [
      'the newest deployment is a different commit, though head was verified before',
      [dep(8, OTHER, 10, 'success', 5), dep(7, HEAD, 90, 'success', 80)],
      {},
      'blocked',
      'staging now runs 9e9e9e9 (deployment 8), not head 5d6e7f8',
      undefined,
    ],
    [
      'newest first is by creation time, whatever the listing order',
      [dep(7, HEAD, 90, 'success', 80), dep(8, OTHER, 10, 'success', 5)],
      {},
      'blocked',
      'staging now runs 9e9e9e9 (deployment 8), not head 5d6e7f8',
      undefined,
    ],
    ['deploying (in_progress) is pending', [dep(9, HEAD, 3, 'in_progress', 2)], {}, 'pending', 'staging deployment 9 of head: deployment 9 is in progress', undefined],
    ['queued is pending', [dep(9, HEAD, 3, 'queued', 2)], {}, 'pending', 'staging deployment 9 of head: deployment 9 is queued', undefined],
    ['no status yet is pending', [dep(9, HEAD, 3, null)], {}, 'pending', 'staging deployment 9 of head: deployment 9 has no status yet', undefined],
    ['verification failed blocks', [dep(9, HEAD, 30, 'failure', 20)], {}, 'blocked', 'staging deployment 9 of head: deployment 9 ended failure', undefined],
    ['an error blocks', [dep(9, HEAD, 30, 'error', 20)], {}, 'blocked', 'staging deployment 9 of head: deployment 9 ended error', undefined],
  ])('%s', async (_name, list, trees, state, reason, nextChangeAt) => {
    const { result } = await judge(list, { trees });
    expect(result.state).toBe(state);
    expect(result.reason).toBe(reason);
    expect(result.nextChangeAt).toBe(nextChangeAt);
  });

  it('compares trees only when the deployed commit is not the head', async () => {
    const { facts } = await judge([dep(7, HEAD, 60, 'success', 45)]);
    expect(facts.calls.treeOf).toBe(0);
    expect(facts.log).toContain('deployments(staging)');
  });

  it('needs no soak when none is configured', async () => {
    const { result } = await judge([dep(7, HEAD, 2, 'success', 1)], {}, productConfig({ production: { soak: undefined } }));
    expect(result).toMatchObject({ state: 'passed', reason: `head verified in staging by run 700 at ${at(1)}` });
  });

  it.each<[string, Partial<FakeFactsInput>, string]>([
    ['deployments() throwing', { errors: { deployments: 'HTTP 500' } }, 'could not read the deployments to staging: HTTP 500'],
    ['treeOf() throwing', { errors: { treeOf: 'HTTP 404' } }, 'could not read the tree of 9e9e9e9: HTTP 404'],
  ])('%s blocks', async (_name, extra, reason) => {
    expect((await judge([dep(7, OTHER, 60, 'success', 45)], extra)).result).toMatchObject({ state: 'blocked', reason });
  });

  it('an incomplete status listing blocks', async () => {
    expect((await judge([dep(7, HEAD, 60, 'success', 45)], { incomplete: { deploymentStatuses: 'more than 300 statuses' } })).result).toMatchObject({
      state: 'blocked',
      reason: 'could not read every status of deployment 7 (more than 300 statuses)',
    });
  });

  it('applies only with verified_in; deployment statuses, deploy runs completing and time can change it', () => {
    const config = productConfig();
    expect(verifiedInRule.applies(config.stages[0]!, config)).toBe(false);
    expect(verifiedInRule.applies(config.stages[1]!, config)).toBe(true);
    expect(verifiedInRule.triggers).toEqual(expect.arrayContaining(['deployment_status', 'workflow_run', 'pull_request', 'time']));
  });
});

describe('verified in: only evidence counts, never a status string', () => {
  it('passes over a deployment a writer created with their own token, however it is marked, and says so', async () => {
    const forged = dep(9, HEAD, 10, 'success', 9, { by: null, status: { state: 'success', createdAt: ago(9), description: 'success: ok (verified 5d6e7f8)', creator: 'mallory' } });
    const { result } = await judge([forged]);
    expect(result.state).toBe('pending');
    expect(result.reason).toBe(
      'head 5d6e7f8 not yet deployed to staging by Stagegate (passed over 1 untrusted deployment not made by Stagegate: deployment 9 was created by mallory, not by the Stagegate app)',
    );
  });

  it('passes over a deployment a workflow created with its GITHUB_TOKEN (it is not the app’s)', async () => {
    const { result } = await judge([dep(9, HEAD, 10, 'success', 9, { by: FAKE_ACTIONS_APP }), dep(7, OTHER, 60, 'success', 45)]);
    expect(result.state).toBe('blocked');
    expect(result.reason).toMatch(
      /^staging now runs 9e9e9e9 \(deployment 7\), not head 5d6e7f8 \(passed over 1 untrusted deployment not made by Stagegate: deployment 9 was created by the github-actions app/,
    );
  });

  it.each<[string, Partial<FakeDeploy>, string]>([
    ['a success that links to no run (posted by hand)', { run: null }, 'the success of deployment 7 links to no workflow run of acme/shop'],
    [
      'a success from another workflow',
      { run: { path: '.github/workflows/evil.yml' } },
      'run 700 is a run of .github/workflows/evil.yml, not of the deploy workflow .github/workflows/stagegate-deploy.yml',
    ],
    ['a success from a run on an unprotected branch', { run: { headBranch: 'feature/x' } }, 'run 700 ran on feature/x, not on the protected staging'],
    [
      'a success from a run of another deployment',
      { run: { displayTitle: `stagegate: deploy ${HEAD} to staging (deployment 6)` } },
      'run 700 deployed 5d6e7f8 to staging (deployment 6), not deployment 7',
    ],
    ['a success from a run without the run name', { run: { displayTitle: 'stagegate-deploy' } }, 'names no Stagegate deployment (the workflow needs the documented run-name)'],
    ['a success from a push-triggered run', { run: { event: 'push' } }, 'run 700 was triggered by push, not by the app’s workflow_dispatch'],
    ['a success contradicted by its run, which failed', { run: { conclusion: 'failure' } }, 'the success of deployment 7 is contradicted by its run 700, which concluded failure'],
  ])('blocks on %s, named as untrusted', async (_name, over, why) => {
    const { result } = await judge([dep(7, HEAD, 60, 'success', 45, over)]);
    expect(result.state).toBe('blocked');
    expect(result.reason).toContain('is not verified: untrusted success');
    expect(result.reason).toContain(why);
  });

  it('a success whose run is still running is pending, and is looked at again within a minute', async () => {
    const { result } = await judge([dep(7, HEAD, 60, 'success', 45, { run: { status: 'in_progress', conclusion: null } })]);
    expect(result).toMatchObject({ state: 'pending', reason: 'staging deployment 7 of head: the verification run 700 of deployment 7 is still in_progress', nextChangeAt: '2026-11-24T09:01:00.000Z' });
  });

  it('a status posted early cannot shorten the soak: the run’s completion counts when it is later', async () => {
    const { result } = await judge([dep(7, HEAD, 60, 'success', 45, { run: { updatedAt: ago(20) } })]);
    expect(result).toMatchObject({ state: 'pending', nextChangeAt: '2026-11-24T09:10:00.000Z' });
    expect(result.reason).toContain(`verified in staging by run 700 at ${at(20)}`);
  });

  it('a description is not what counts: the bound successful run is (e.g. GitHub’s own job success)', async () => {
    const { result } = await judge([dep(7, HEAD, 60, 'success', 45, { status: { state: 'success', createdAt: ago(45), description: null } })]);
    expect(result.state).toBe('passed');
  });

  it('a rollback as the newest Stagegate deployment blocks: the head is not what runs', async () => {
    const rollback = dep(8, OTHER, 10, 'success', 9, { by: FAKE_ACTIONS_APP, payload: { stagegate: 1, kind: 'rollback', stage: 'staging', pull_request: 3, rollback_of: 7, target_deployment: 5 } });
    const { result } = await judge([rollback, dep(7, HEAD, 60, 'failure', 12)]);
    expect(result).toMatchObject({ state: 'blocked', reason: 'staging was rolled back: deployment 8 redeployed 9e9e9e9 after deployment 7 failed, so head 5d6e7f8 is not what runs there' });
  });

  it('protection-rule mode: a job deployment counts only when the app approved its run', async () => {
    const job = dep(7, HEAD, 60, 'success', 45, { by: FAKE_ACTIONS_APP, run: { event: 'workflow_dispatch', displayTitle: `stagegate: deploy ${HEAD} to staging` } });
    expect((await judge([job], { approvedRuns: { 7: 700 } })).result).toMatchObject({ state: 'passed', reason: `head verified in staging by run 700 at ${at(45)} (soak 30m)` });
    expect((await judge([job])).result.state).toBe('pending');
    expect((await judge([job], { approvedRuns: { 7: 701 } })).result.reason).toContain('run 700 is not the run the app approved for deployment 7 (run 701)');
  });

  it('without the app’s identity nothing can be trusted', async () => {
    const facts = fakeFacts({ pullRequest: { headSha: HEAD }, ...fakeDeploys([dep(7, HEAD, 60, 'success', 45)]) });
    const ctx = { ...ctxOf(productConfig(), 'production', facts, NOW), app: { id: null, slug: null } };
    expect(await verifiedInRule.evaluate(ctx)).toMatchObject({ state: 'blocked', reason: 'the Stagegate app’s identity is unknown, so no verification can be trusted' });
  });
});
