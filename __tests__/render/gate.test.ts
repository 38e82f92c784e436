import { describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../src/config/load.js';
import { fakeCommit } from '../../src/facts/fake.js';
import type { GateResult } from '../../src/gate/types.js';
import { GATE_MARKER, MERGE_MARKER } from '../../src/protocol/markers.js';
import { cell, renderConfigErrorCheck, renderGateCheck, renderGateComment, renderMergeComment, renderNotPromotionCheck, type GateView, type MergeOutcome } from '../../src/render/gate.js';
import { GITHUB_TEXT_LIMIT } from '../../src/render/limits.js';

const BASE = '1111111111111111111111111111111111111111';
const HEAD = '2222222222222222222222222222222222222222';

function result(over: Partial<GateResult> = {}): GateResult {
  return {
    repository: 'acme/shop',
    stage: 'production',
    pullRequest: 42,
    baseSha: BASE,
    headSha: HEAD,
    state: 'pending',
    evaluatedAt: '2026-11-24T10:00:00.000Z',
    rules: [
      {
        id: 'approvals',
        title: 'Approvals',
        state: 'pending',
        reason: '1 of 2 approvals from anna or @acme/release-managers',
        matched: ['anna'],
        children: [{ id: 'approvals', title: 'Sign-off for production', state: 'pending', reason: '1 of 2 | so far anna', matched: ['anna'] }],
      },
      { id: 'separation-of-duties', title: 'Separation of duties', state: 'passed', reason: 'excluded: alice, bob', matched: ['alice', 'bob'] },
      { id: 'required-checks', title: 'Required checks', state: 'passed', reason: 'build and test succeeded', matched: ['build', 'test'] },
    ],
    approvals: [
      { login: 'anna', reviewId: 1, commitId: HEAD, submittedAt: '2026-11-24T09:00:00Z', counted: true },
      { login: 'alice', reviewId: 2, commitId: HEAD, submittedAt: '2026-11-24T09:01:00Z', counted: false, refusal: 'author', detail: 'alice authored 2222222 in the range' },
      { login: 'tom', reviewId: 3, commitId: BASE, submittedAt: '2026-11-24T08:00:00Z', counted: false, refusal: 'stale-commit', detail: 'approved 1111111, head is 2222222' },
    ],
    risk: { touched: [{ name: 'src/payments/**', level: 'high', files: ['src/payments/charge.ts'] }], lowOnly: false, policyChanged: [] },
    ...over,
  };
}

function view(over: Partial<GateView> = {}): GateView {
  const commits = [fakeCommit('a'.repeat(40), { author: 'alice', message: 'Add refunds' }), fakeCommit('b'.repeat(40), { author: 'bob', message: 'Fix typo in README' })];
  return {
    result: result(),
    pullRequest: {
      number: 42,
      title: 'Promote staging to production',
      htmlUrl: 'https://github.com/acme/shop/pull/42',
      author: 'alice',
      state: 'open',
      draft: false,
      merged: false,
      mergeCommitSha: null,
      mergedBy: null,
      headRef: 'staging',
      headSha: HEAD,
      headRepo: 'acme/shop',
      baseRef: 'production',
      baseSha: BASE,
      baseRepo: 'acme/shop',
    },
    commits: { complete: true, items: commits },
    mergedPulls: { complete: true, items: [{ number: 12, title: 'Refunds | partial', author: 'alice', htmlUrl: 'https://github.com/acme/shop/pull/12', commits: ['a'.repeat(40)] }] },
    configOrigin: { ref: 'production', fellBack: false },
    repoUrl: 'https://github.com/acme/shop',
    ...over,
  };
}

describe('gate comment', () => {
  it('renders range, rules, sign-off, risk and release notes', () => {
    const body = renderGateComment(view());
    expect(body.startsWith(GATE_MARKER)).toBe(true);
    expect(body).toMatchSnapshot();
  });

  it('renders the identical body for the same result evaluated at another time (nothing to rewrite)', () => {
    const later = renderGateComment(view({ result: result({ evaluatedAt: '2026-11-24T11:30:00.000Z' }) }));
    expect(later).toBe(renderGateComment(view()));
    expect(later).not.toMatch(/2026-11-24T1[01]:[0-9]{2}:00\.000Z/);
    const otherHead = renderGateComment(view({ result: result({ headSha: '3'.repeat(40) }) }));
    expect(otherHead).not.toBe(later);
  });

  it('says where the policy came from when it fell back to the default branch', () => {
    expect(renderGateComment(view({ configOrigin: { ref: 'master', fellBack: true, extendsFrom: 'acme/.github:.github/stagegate.yml' } }))).toContain(
      'from the default branch `master` (the base branch has none), extending `acme/.github:.github/stagegate.yml`',
    );
  });

  it('tells "no tiers apply" apart from "files unreadable"', () => {
    expect(renderGateComment(view({ result: result({ risk: null }) }))).toContain('_No risk tiers apply to this stage._');
    const withRule = result({ risk: null, rules: [...result().rules, { id: 'risk', title: 'Risk tiers', state: 'blocked', reason: 'files unreadable', matched: [] }] });
    expect(renderGateComment(view({ result: withRule }))).toContain('_The changed files could not be read; see the risk rule._');
  });

  it('says so when the commits could not be read', () => {
    expect(renderGateComment(view({ commits: null }))).toContain('commits unreadable');
  });

  it('stays within GitHub’s limit, cutting with a note', () => {
    const many = Array.from({ length: 3000 }, (_, i) => ({ number: i + 1, title: `Change number ${i} `.repeat(30), author: 'alice', htmlUrl: '', commits: [] }));
    const body = renderGateComment(view({ mergedPulls: { complete: true, items: many } }));
    expect(body.length).toBeLessThanOrEqual(GITHUB_TEXT_LIMIT);
    expect(body).toMatch(/_Truncated to fit GitHub's size limit; the full record is in the audit trail._$/);
    expect(body.startsWith(GATE_MARKER)).toBe(true);
  });
});

describe('gate check run', () => {
  it('is in progress while pending, so a required check stays unmet', () => {
    const out = renderGateCheck(view());
    expect(out).toMatchObject({ status: 'in_progress', title: 'production: pending — approvals' });
    expect(out.conclusion).toBeUndefined();
    expect(out).toMatchSnapshot();
  });

  it.each([
    ['passed', 'success'],
    ['blocked', 'failure'],
  ] as const)('concludes %s as %s', (state, conclusion) => {
    const rules = result().rules.map((r) => ({ ...r, state }));
    expect(renderGateCheck(view({ result: result({ state, rules }) }))).toMatchObject({ status: 'completed', conclusion });
  });

  it('escapes table cells', () => {
    expect(cell('a | b\nc')).toBe('a \\| b c');
  });
});

describe('configuration errors and merges', () => {
  it('names file, line, column and key in a failing check', () => {
    const parsed = parseConfig('stages:\n  - name: production\n    branch: production\n    from: staging\n    signoff: { aprovals: 2 }\n');
    if (parsed.ok) throw new Error('expected errors');
    const out = renderConfigErrorCheck(parsed.errors, { ref: 'production', fellBack: false });
    expect(out.conclusion).toBe('failure');
    expect(out).toMatchSnapshot();
  });

  it('revokes with a failing check when a PR stops being a promotion', () => {
    expect(renderNotPromotionCheck(view().pullRequest)).toMatchSnapshot();
  });

  it.each<[string, MergeOutcome]>([
    ['deployed', { kind: 'deployed', stage: 'production', deploymentId: 77, sha: HEAD, workflow: 'stagegate-deploy.yml', dispatched: true }],
    ['dispatch failed', { kind: 'dispatch-failed', stage: 'production', deploymentId: 77, sha: HEAD, workflow: 'stagegate-deploy.yml', error: 'Workflow does not have workflow_dispatch trigger' }],
    ['bypassed', { kind: 'bypassed', stage: 'production', sha: HEAD, state: 'pending', reasons: ['Approvals: 1 of 2 approvals'], mergedBy: 'root' }],
  ])('renders the merge comment when %s', (_label, outcome) => {
    const body = renderMergeComment(outcome, 'https://github.com/acme/shop');
    expect(body.startsWith(MERGE_MARKER)).toBe(true);
    expect(body).toMatchSnapshot();
  });
});
