import { describe, expect, it } from '@jest/globals';
import { fakeCheck, fakeCommit, fakeDeploys, fakeFacts, fakeReview, type FakeFactsInput } from '../../src/facts/fake.js';
import { decide } from '../../src/gate/decision.js';
import { evaluateGate, rulesAffectedBy } from '../../src/gate/evaluate.js';
import type { GateEvent, Rule } from '../../src/gate/types.js';
import { rules } from '../../src/rules/index.js';
import { HEAD, OLD, ctxOf, productConfig, stageOf } from '../rules/support.js';

// Tuesday 2026-11-24 10:00 Berlin: inside the production window, outside the freeze.
const NOW = new Date('2026-11-24T09:00:00Z');
const teams = { 'acme/release-managers': ['tom'], 'acme/payments-leads': ['pia', 'paul'] };

/** A production promotion that passes every rule. */
function green(over: Partial<FakeFactsInput> = {}): FakeFactsInput {
  return {
    pullRequest: { number: 7, headSha: HEAD, author: 'dave' },
    commits: [fakeCommit(OLD, { author: 'alice' }), fakeCommit(HEAD, { author: 'bob', coAuthors: ['frank'] })],
    files: ['src/app.ts', 'src/payments/charge.ts', 'docs/notes.md'],
    reviews: [
      fakeReview('anna', 'APPROVED', HEAD, '2026-11-24T08:00:00Z', 1),
      fakeReview('tom', 'APPROVED', HEAD, '2026-11-24T08:01:00Z', 2),
      fakeReview('pia', 'APPROVED', HEAD, '2026-11-24T08:02:00Z', 3),
      fakeReview('paul', 'APPROVED', HEAD, '2026-11-24T08:03:00Z', 4),
      fakeReview('alice', 'APPROVED', HEAD, '2026-11-24T08:04:00Z', 5),
      fakeReview('ivan', 'APPROVED', OLD, '2026-11-23T08:00:00Z', 6),
    ],
    checks: { [HEAD]: [fakeCheck('build', 'completed', 'success', '2026-11-24T07:00:00Z'), fakeCheck('test', 'completed', 'success', '2026-11-24T07:00:00Z')] },
    ...fakeDeploys([{ id: 31, sha: HEAD, environment: 'staging', createdAt: '2026-11-24T07:00:00Z', status: { state: 'success', createdAt: '2026-11-24T07:10:00Z' } }]),
    teams,
    ...over,
  };
}

describe('evaluateGate', () => {
  it('passes a green production promotion, with verdicts, risk and the next change', async () => {
    const facts = fakeFacts(green());
    const result = await evaluateGate(ctxOf(productConfig(), 'production', facts, NOW));
    expect(result).toMatchObject({ repository: 'acme/shop', stage: 'production', pullRequest: 7, headSha: HEAD, state: 'passed', evaluatedAt: NOW.toISOString() });
    expect(result.rules.map((r) => [r.id, r.state])).toEqual([
      ['approvals', 'passed'],
      ['separation-of-duties', 'passed'],
      ['risk', 'passed'],
      ['required-checks', 'passed'],
      ['verified-in', 'passed'],
      ['windows', 'passed'],
      ['freeze', 'passed'],
      ['lock', 'passed'],
    ]);
    expect(result.approvals.map((v) => [v.login, v.counted, v.refusal])).toEqual([
      ['ivan', false, 'stale-commit'],
      ['anna', true, undefined],
      ['tom', true, undefined],
      ['pia', true, undefined],
      ['paul', true, undefined],
      ['alice', false, 'author'],
    ]);
    expect(result.risk).toEqual({
      touched: [
        { name: 'payments', level: 'normal', files: ['src/payments/charge.ts'] },
        { name: 'docs', level: 'low', files: ['docs/notes.md'] },
      ],
      lowOnly: false,
      policyChanged: [],
    });
    // The window closes at 16:00 Berlin; the freeze starts 2026-12-20; the earlier wins.
    expect(result.nextChangeAt).toBe('2026-11-24T15:00:00.000Z');
    expect(decide(result)).toEqual({ kind: 'deploy', reasons: [] });
  });

  it('reads every fact at most once per evaluation, and each shared fact exactly once', async () => {
    const facts = fakeFacts(
      green({
        ...fakeDeploys([{ id: 31, sha: OLD, environment: 'staging', createdAt: '2026-11-24T07:00:00Z', status: { state: 'success', createdAt: '2026-11-24T07:10:00Z' } }]),
        trees: { [OLD]: 't', [HEAD]: 't' },
      }),
    );
    await evaluateGate(ctxOf(productConfig(), 'production', facts, NOW));
    for (const [call, n] of facts.callCounts()) expect([call, n]).toEqual([call, 1]);
    expect(facts.calls).toMatchObject({ pullRequest: 1, commits: 1, files: 1, reviews: 1, checks: 1, deployments: 1, treeOf: 2, mergedPulls: 0 });
  });

  it('reads only what the stage needs', async () => {
    const config = productConfig({ staging: { signoff: { approvals: 1, separation_of_duties: false } }, risk: [] });
    const facts = fakeFacts(green());
    const result = await evaluateGate(ctxOf(config, 'staging', facts, NOW));
    // The risk rule always runs: a change to the policy or a workflow is always a high-risk tier.
    expect(result.rules.map((r) => r.id)).toEqual(['approvals', 'risk', 'lock']);
    // With no reviewers list, each fresh approver's repository permission is read once.
    expect(facts.log.filter((l) => l !== 'files()')).toEqual(['pullRequest()', 'reviews()', 'permission(anna)', 'permission(tom)', 'permission(pia)', 'permission(paul)', 'permission(alice)']);
    expect(facts.calls.files).toBe(1);
  });

  it.each<[string, Partial<FakeFactsInput>, Date, 'passed' | 'pending' | 'blocked', string[]]>([
    ['one approval short: wait', { reviews: [fakeReview('anna', 'APPROVED', HEAD, '2026-11-24T08:00:00Z')] }, NOW, 'pending', ['approvals']],
    ['a failed check: block', { checks: { [HEAD]: [fakeCheck('build', 'completed', 'failure', '2026-11-24T07:00:00Z')] } }, NOW, 'blocked', ['required-checks']],
    ['outside the window: wait until it opens', {}, new Date('2026-11-24T16:00:00Z'), 'pending', ['windows']],
    ['in the freeze: block', {}, new Date('2026-12-22T09:00:00Z'), 'blocked', ['freeze']],
    ['an incomplete commit listing blocks the gate', { incomplete: { commits: 'more than 250 commits' } }, NOW, 'blocked', ['approvals', 'separation-of-duties']],
  ])('%s', async (_name, over, now, state, notPassed) => {
    const result = await evaluateGate(ctxOf(productConfig(), 'production', fakeFacts(green(over)), now));
    expect(result.state).toBe(state);
    expect(
      result.rules
        .filter((r) => r.state !== 'passed')
        .map((r) => r.id)
        .sort(),
    ).toEqual([...notPassed].sort());
  });

  it('a facts method throwing blocks the rules that need it, not the process', async () => {
    const facts = fakeFacts(green({ errors: { checks: 'HTTP 502 Bad Gateway' } }));
    const result = await evaluateGate(ctxOf(productConfig(), 'production', facts, NOW));
    expect(result.state).toBe('blocked');
    expect(result.rules.find((r) => r.id === 'required-checks')).toMatchObject({ state: 'blocked', reason: `could not read check run and status on 5d6e7f8: HTTP 502 Bad Gateway` });
    expect(result.rules.filter((r) => r.state !== 'passed').map((r) => r.id)).toEqual(['required-checks']);
    expect(decide(result)).toEqual({ kind: 'block', reasons: ['Required checks: could not read check run and status on 5d6e7f8: HTTP 502 Bad Gateway'] });
  });

  it('an unreadable pull request blocks the gate', async () => {
    const result = await evaluateGate(ctxOf(productConfig(), 'production', fakeFacts(green({ errors: { pullRequest: 'Not Found' } })), NOW));
    expect(result).toMatchObject({ state: 'blocked', pullRequest: 0, headSha: '' });
    expect(result.rules.find((r) => r.id === 'approvals')?.reason).toBe('could not read the pull request: Not Found');
    expect(result.approvals).toEqual([]);
  });

  it('a rule that throws, or whose applicability throws, is blocked with the error', async () => {
    const boom: Rule = {
      id: 'config',
      title: 'Exploding',
      triggers: ['time'],
      applies: () => true,
      evaluate: async () => {
        throw new Error('kaboom');
      },
    };
    const unsure: Rule = {
      id: 'config',
      title: 'Unsure',
      triggers: ['time'],
      applies: () => {
        throw new TypeError('bad config');
      },
      evaluate: async () => ({ id: 'config', title: 'Unsure', state: 'passed', reason: '', matched: [] }),
    };
    const result = await evaluateGate(ctxOf(productConfig(), 'production', fakeFacts(green()), NOW), { rules: [...rules, boom, unsure] });
    expect(result.state).toBe('blocked');
    expect(result.rules.slice(-2)).toEqual([
      { id: 'config', title: 'Exploding', state: 'blocked', reason: 'rule failed: kaboom', matched: [] },
      { id: 'config', title: 'Unsure', state: 'blocked', reason: 'cannot tell whether the rule applies: bad config', matched: [] },
    ]);
    expect(result.rules.slice(0, -2).every((r) => r.state === 'passed')).toBe(true);
  });

  it('takes the earliest next change of all rules (soak before the window closes)', async () => {
    const facts = fakeFacts(
      green({ ...fakeDeploys([{ id: 31, sha: HEAD, environment: 'staging', createdAt: '2026-11-24T08:40:00Z', status: { state: 'success', createdAt: '2026-11-24T08:50:00Z' } }]) }),
    );
    const result = await evaluateGate(ctxOf(productConfig(), 'production', facts, NOW));
    expect(result.state).toBe('pending');
    expect(result.nextChangeAt).toBe('2026-11-24T09:20:00.000Z');
    expect(decide(result).reasons).toEqual(['Verified in staging: head verified in staging by run 3100 at 2026-11-24T08:50:00Z; soak 30m ends at 2026-11-24T09:20:00Z']);
  });
});

describe('rulesAffectedBy', () => {
  const config = productConfig();
  const ids = (event: GateEvent, stage: string) => rulesAffectedBy(event, stageOf(config, stage), config).map((r) => r.id);

  it.each<[GateEvent, string, string[]]>([
    ['check_run', 'staging', []],
    ['check_run', 'production', ['required-checks']],
    ['status', 'production', ['required-checks']],
    ['pull_request_review', 'production', ['approvals']],
    ['workflow_run', 'staging', []],
    ['workflow_run', 'production', ['verified-in']],
    ['deployment_status', 'staging', []],
    ['deployment_status', 'production', ['verified-in']],
    ['time', 'staging', ['lock']],
    ['time', 'production', ['verified-in', 'windows', 'freeze', 'lock']],
    ['command', 'staging', ['lock']],
    ['pull_request', 'staging', ['approvals', 'separation-of-duties', 'risk']],
    ['pull_request', 'production', ['approvals', 'separation-of-duties', 'risk', 'required-checks', 'verified-in']],
  ])('%s on %s', (event, stage, expected) => {
    expect(ids(event, stage)).toEqual(expected);
  });
});
