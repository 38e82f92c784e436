import { describe, expect, it } from '@jest/globals';
import { followUpState } from '../../src/break-glass/apply.js';
import type { BreakGlass } from '../../src/break-glass/types.js';
import type { Waivable } from '../../src/config/schema.js';
import { fakeCheck, fakeCommit, fakeDeploys, fakeFacts, fakeReview, type FakeFactsInput } from '../../src/facts/fake.js';
import { evaluateGate } from '../../src/gate/evaluate.js';
import { memoryHolds } from '../../src/locks/holds.js';
import { renderGateCheck } from '../../src/render/gate.js';
import { HEAD, OLD, ctxOf, productConfig } from '../rules/support.js';

// Saturday 2026-11-28 12:00 Berlin: outside the production window.
const SATURDAY = new Date('2026-11-28T11:00:00Z');

function facts(over: Partial<FakeFactsInput> = {}): FakeFactsInput {
  return {
    pullRequest: { number: 7, headSha: HEAD, author: 'dave' },
    commits: [fakeCommit(OLD, { author: 'alice' }), fakeCommit(HEAD, { author: 'bob' })],
    files: ['src/app.ts'],
    reviews: [fakeReview('alice', 'APPROVED', HEAD, '2026-11-28T10:00:00Z', 1)],
    checks: { [HEAD]: [fakeCheck('build', 'completed', 'success', '2026-11-28T07:00:00Z'), fakeCheck('test', 'completed', 'success', '2026-11-28T07:00:00Z')] },
    ...fakeDeploys([{ id: 31, sha: HEAD, environment: 'staging', createdAt: '2026-11-27T07:00:00Z', status: { state: 'success', createdAt: '2026-11-27T07:10:00Z' } }]),
    teams: { 'acme/release-managers': ['tom'] },
    ...over,
  };
}

function grant(over: Partial<BreakGlass> = {}, waive: Waivable[] = ['signoff', 'windows', 'freeze']): BreakGlass {
  return {
    id: 'bg1',
    repository: 'acme/shop',
    stage: 'production',
    pullRequest: 7,
    headSha: HEAD,
    by: 'sam',
    reason: 'checkout is down',
    at: '2026-11-28T10:55:00.000Z',
    waive,
    commentUrl: null,
    followUp: { issueNumber: 12, issueUrl: 'https://github.com/acme/shop/issues/12', approvalsRequired: 2, deadline: '2026-11-29T10:55:00.000Z', reviewers: [], approvals: [], overdueFlaggedAt: null },
    ...over,
  };
}

const evaluate = (input: FakeFactsInput, breakGlass: BreakGlass[] = []) =>
  evaluateGate(ctxOf(productConfig(), 'production', fakeFacts(input), SATURDAY, memoryHolds({ breakGlass, now: () => SATURDAY })));

describe('break-glass on the gate', () => {
  it('without it, a weekend promotion with missing sign-off is pending', async () => {
    const r = await evaluate(facts());
    expect(r.state).toBe('pending');
    expect(r.rules.filter((x) => x.state !== 'passed').map((x) => x.id)).toEqual(['approvals', 'windows']);
    expect(r.breakGlass).toBeUndefined();
  });

  it('with it, the missing sign-off and the closed window are waived, named, and the check title says BREAK-GLASS', async () => {
    const r = await evaluate(facts(), [grant()]);
    expect(r.state).toBe('passed');
    expect(r.breakGlass).toMatchObject({ by: 'sam', reason: 'checkout is down', waived: ['approvals', 'windows'], followUp: { issueNumber: 12, approvals: 0, approvalsRequired: 2 } });
    const approvals = r.rules.find((x) => x.id === 'approvals')!;
    expect(approvals.state).toBe('passed');
    expect(approvals.reason).toMatch(/^BREAK-GLASS by @sam: waived \(was pending: /);
    // The window's opening (Monday 09:00 Berlin) no longer wakes the gate; the holiday freeze's start still does.
    expect((await evaluate(facts())).nextChangeAt).toBe('2026-11-30T08:00:00.000Z');
    expect(r.nextChangeAt).toBe('2026-12-20T00:00:00.000Z');
    const check = renderGateCheck({
      result: r,
      pullRequest: {
        number: 7,
        title: 't',
        htmlUrl: 'https://github.com/acme/shop/pull/7',
        author: 'dave',
        state: 'open',
        draft: false,
        merged: false,
        mergeCommitSha: null,
        mergedBy: null,
        headRef: 'staging',
        headSha: HEAD,
        headRepo: 'acme/shop',
        baseRef: 'production',
        baseSha: OLD,
        baseRepo: 'acme/shop',
      },
      commits: null,
      mergedPulls: null,
      configOrigin: { ref: 'production', fellBack: false, extendsFrom: null },
      repoUrl: 'https://github.com/acme/shop',
    } as never);
    expect(check.title).toMatch(/^BREAK-GLASS — production: ready to merge/);
    expect(check.conclusion).toBe('success');
    expect(check.summary).toContain('**BREAK-GLASS** by @sam');
    expect(check.summary).toContain('[follow-up #12](https://github.com/acme/shop/issues/12)');
  });

  it('never without a passing build: a failed required check still blocks', async () => {
    const red = facts({ checks: { [HEAD]: [fakeCheck('build', 'completed', 'failure', '2026-11-28T07:00:00Z'), fakeCheck('test', 'completed', 'success', '2026-11-28T07:00:00Z')] } });
    const r = await evaluate(red, [grant()]);
    expect(r.state).toBe('blocked');
    expect(r.rules.find((x) => x.id === 'required-checks')?.state).toBe('blocked');
    expect(r.breakGlass?.waived).toEqual(['approvals', 'windows']);
  });

  it('unless the policy waives checks too', async () => {
    const red = facts({ checks: { [HEAD]: [fakeCheck('build', 'completed', 'failure', '2026-11-28T07:00:00Z')] } });
    const r = await evaluate(red, [grant({}, ['signoff', 'windows', 'checks'])]);
    expect(r.state).toBe('passed');
  });

  it('is bound to the head: a break-glass of an earlier head changes nothing', async () => {
    const r = await evaluate(facts(), [grant({ headSha: OLD })]);
    expect(r.state).toBe('pending');
    expect(r.breakGlass).toBeUndefined();
  });

  it('verified-commits is never waived', async () => {
    const config = productConfig({ production: { signoff: { approvals: 2, reviewers: ['anna'], require_verified_commits: true } } });
    const r = await evaluateGate(
      ctxOf(config, 'production', fakeFacts(facts()), SATURDAY, memoryHolds({ breakGlass: [grant({}, ['signoff', 'windows', 'freeze', 'verified_in', 'lock', 'checks'])] })),
    );
    expect(r.rules.find((x) => x.id === 'verified-commits')?.state).toBe('blocked');
    expect(r.state).toBe('blocked');
  });
});

describe('followUpState', () => {
  const now = new Date('2026-11-29T12:00:00Z');
  it('open before the deadline, overdue after, approved with enough approvals even late', () => {
    expect(followUpState(grant({ followUp: { ...grant().followUp, deadline: '2026-11-30T00:00:00Z' } }), now)).toBe('open');
    expect(followUpState(grant(), now)).toBe('overdue');
    const approvals = [
      { login: 'tom', at: '2026-11-29T11:00:00Z', commentUrl: null, note: null },
      { login: 'anna', at: '2026-11-29T11:30:00Z', commentUrl: null, note: null },
    ];
    expect(followUpState(grant({ followUp: { ...grant().followUp, approvals } }), now)).toBe('approved');
    expect(followUpState(grant({ followUp: { ...grant().followUp, approvals: approvals.slice(0, 1) } }), now)).toBe('overdue');
  });
});
