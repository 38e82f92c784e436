import { describe, expect, it } from '@jest/globals';
import { fakeDeployment, fakeFacts, type FakeFactsInput } from '../../src/facts/fake.js';
import type { DeploymentFact } from '../../src/facts/types.js';
import type { RuleState } from '../../src/gate/types.js';
import { verifiedInRule } from '../../src/rules/verified-in.js';
import { HEAD, OTHER, ctxOf, productConfig } from './support.js';

const NOW = new Date('2026-11-24T09:00:00Z');
const ago = (min: number): string => new Date(NOW.getTime() - min * 60_000).toISOString();
const dep = (id: number, sha: string, createdMin: number, state: string | null, statusMin = createdMin - 5): DeploymentFact =>
  fakeDeployment(id, sha, 'staging', ago(createdMin), state === null ? null : { state, createdAt: ago(statusMin) });

describe('verified in staging, soak 30m (production)', () => {
  it.each<[string, DeploymentFact[], Record<string, string>, RuleState, string, string | undefined]>([
    ['not deployed yet', [], {}, 'pending', 'head 5d6e7f8 not yet deployed to staging', undefined],
    ['head verified 45m ago', [dep(7, HEAD, 60, 'success', 45)], {}, 'passed', 'head verified in staging 45m ago (soak 30m)', undefined],
    ['head verified exactly 30m ago', [dep(7, HEAD, 40, 'success', 30)], {}, 'passed', 'head verified in staging 30m ago (soak 30m)', undefined],
    [
      'a commit with the identical tree verified 45m ago',
      [dep(7, OTHER, 60, 'success', 45)],
      { [OTHER]: 'tree-1', [HEAD]: 'tree-1' },
      'passed',
      '9e9e9e9 (same tree as head 5d6e7f8) verified in staging 45m ago (soak 30m)',
      undefined,
    ],
    ['soak not yet elapsed', [dep(7, HEAD, 20, 'success', 12)], {}, 'pending', 'head verified in staging 12m ago; soak 30m ends in 18m (2026-11-24T09:18:00.000Z)', '2026-11-24T09:18:00.000Z'],
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
    ['deploying (in_progress) is pending', [dep(9, HEAD, 3, 'in_progress', 2)], {}, 'pending', 'staging deployment 9 of head is in progress', undefined],
    ['queued is pending', [dep(9, HEAD, 3, 'queued', 2)], {}, 'pending', 'staging deployment 9 of head is queued', undefined],
    ['no status yet is pending', [dep(9, HEAD, 3, null)], {}, 'pending', 'staging deployment 9 of head has no status yet', undefined],
    ['verification failed blocks', [dep(9, HEAD, 30, 'failure', 20)], {}, 'blocked', 'staging deployment 9 of head ended failure', undefined],
    ['an error blocks', [dep(9, HEAD, 30, 'error', 20)], {}, 'blocked', 'staging deployment 9 of head ended error', undefined],
    ['inactive blocks', [dep(9, HEAD, 300, 'inactive', 20)], {}, 'blocked', 'staging deployment 9 of head ended inactive', undefined],
  ])('%s', async (_name, deployments, trees, state, reason, nextChangeAt) => {
    const facts = fakeFacts({ pullRequest: { headSha: HEAD }, deployments: { staging: deployments }, trees });
    const result = await verifiedInRule.evaluate(ctxOf(productConfig(), 'production', facts, NOW));
    expect(result.state).toBe(state);
    expect(result.reason).toBe(reason);
    expect(result.nextChangeAt).toBe(nextChangeAt);
  });

  it('compares trees only when the deployed commit is not the head', async () => {
    const facts = fakeFacts({ pullRequest: { headSha: HEAD }, deployments: { staging: [dep(7, HEAD, 60, 'success', 45)] } });
    await verifiedInRule.evaluate(ctxOf(productConfig(), 'production', facts, NOW));
    expect(facts.calls.treeOf).toBe(0);
    expect(facts.log).toContain('deployments(staging)');
  });

  it('needs no soak when none is configured', async () => {
    const config = productConfig({ production: { soak: undefined } });
    const facts = fakeFacts({ pullRequest: { headSha: HEAD }, deployments: { staging: [dep(7, HEAD, 2, 'success', 1)] } });
    expect(await verifiedInRule.evaluate(ctxOf(config, 'production', facts, NOW))).toMatchObject({ state: 'passed', reason: 'head verified in staging 1m ago' });
  });

  it.each<[string, Partial<FakeFactsInput>, string]>([
    ['an incomplete deployment listing', { incomplete: { deployments: 'HTTP 502 on page 2' } }, 'could not read every deployment to staging (HTTP 502 on page 2)'],
    ['deployments() throwing', { errors: { deployments: 'HTTP 500' } }, 'could not read deployment to staging: HTTP 500'],
    ['treeOf() throwing', { errors: { treeOf: 'HTTP 404' } }, 'could not read the tree of 9e9e9e9: HTTP 404'],
  ])('%s blocks', async (_name, extra, reason) => {
    const facts = fakeFacts({ pullRequest: { headSha: HEAD }, deployments: { staging: [dep(7, OTHER, 60, 'success', 45)] }, ...extra });
    expect(await verifiedInRule.evaluate(ctxOf(productConfig(), 'production', facts, NOW))).toMatchObject({ state: 'blocked', reason });
  });

  it('applies only with verified_in, and time can change it', () => {
    const config = productConfig();
    expect(verifiedInRule.applies(config.stages[0]!, config)).toBe(false);
    expect(verifiedInRule.applies(config.stages[1]!, config)).toBe(true);
    expect(verifiedInRule.triggers).toEqual(expect.arrayContaining(['deployment_status', 'pull_request', 'time']));
  });
});

describe('verified in: only the Action’s verification counts as verified', () => {
  it.each<[string, string | null]>([
    ['a success set by another deploy tool', 'Deployed by the platform'],
    ['a success without a description (e.g. a job with environment:)', null],
    ['a rollback’s success', 'success: ok (rollback of deployment 6 to 5d6e7f8)'],
  ])('blocks on %s', async (_label, description) => {
    const deployment = fakeDeployment(7, HEAD, 'staging', ago(60), { state: 'success', createdAt: ago(45), description });
    const r = await verifiedInRule.evaluate(ctxOf(productConfig(), 'production', fakeFacts({ pullRequest: { headSha: HEAD }, deployments: { staging: [deployment] } }), NOW));
    expect(r.state).toBe('blocked');
    expect(r.reason).toMatch(/not by the Stagegate Action's verification/);
  });
});
