import { describe, expect, it } from '@jest/globals';
import { fakeCommit, fakeFacts, fakePerson, fakeReview, type FakeFactsInput } from '../../src/facts/fake.js';
import type { ReviewFact } from '../../src/facts/types.js';
import type { RefusalReason, RuleState } from '../../src/gate/types.js';
import { approvalsRule, assessApprovals, standingReviews } from '../../src/rules/approvals.js';
import { HEAD, OLD, ctxOf, productConfig } from './support.js';

const T = (min: number): string => new Date(Date.UTC(2026, 10, 23, 10, min)).toISOString();
const teams = { 'acme/release-managers': ['tom', { login: 'pat', state: 'pending' as const }], 'acme/payments-leads': ['pia', 'paul'] };

interface VerdictCase {
  commits?: FakeFactsInput['commits'];
  reviews: ReviewFact[];
  sod?: boolean;
  state: RuleState;
  login: string;
  counted: boolean;
  refusal?: RefusalReason;
  detail?: RegExp;
}

const alice = [fakeCommit(HEAD, { author: 'alice' })];

describe('approvals: which approvals count (staging: 1 approval from anyone)', () => {
  it.each<[string, VerdictCase]>([
    ['an approval of the head counts', { reviews: [fakeReview('ivan', 'APPROVED', HEAD, T(1))], state: 'passed', login: 'ivan', counted: true, detail: /approved head 5d6e7f8/ }],
    [
      'an approval of an older head does not count',
      { reviews: [fakeReview('ivan', 'APPROVED', OLD, T(1))], state: 'pending', login: 'ivan', counted: false, refusal: 'stale-commit', detail: /^approved 1a2b3c4, head is 5d6e7f8$/ },
    ],
    [
      "a commit author's approval does not count",
      { reviews: [fakeReview('alice', 'APPROVED', HEAD, T(1))], state: 'pending', login: 'alice', counted: false, refusal: 'author', detail: /alice authored 5d6e7f8/ },
    ],
    ["a commit author's login is compared case-insensitively", { reviews: [fakeReview('ALICE', 'APPROVED', HEAD, T(1))], state: 'pending', login: 'ALICE', counted: false, refusal: 'author' }],
    [
      "a committer's approval does not count",
      {
        commits: [fakeCommit(HEAD, { author: 'alice', committer: 'carl' })],
        reviews: [fakeReview('carl', 'APPROVED', HEAD, T(1))],
        state: 'pending',
        login: 'carl',
        counted: false,
        refusal: 'committer',
        detail: /carl committed 5d6e7f8/,
      },
    ],
    [
      "a co-author's approval does not count (trailer mapped to a login)",
      {
        commits: [fakeCommit(HEAD, { author: 'alice', coAuthors: ['frank'] })],
        reviews: [fakeReview('frank', 'APPROVED', HEAD, T(1))],
        state: 'pending',
        login: 'frank',
        counted: false,
        refusal: 'co-author',
      },
    ],
    [
      "a co-author's approval does not count (trailer with only a no-reply email)",
      {
        commits: [fakeCommit(HEAD, { author: 'alice', coAuthors: [fakePerson(null, '4711+Gina@users.noreply.github.com', 'Gina')] })],
        reviews: [fakeReview('gina', 'APPROVED', HEAD, T(1))],
        state: 'pending',
        login: 'gina',
        counted: false,
        refusal: 'co-author',
        detail: /by email 4711\+Gina@users\.noreply\.github\.com/,
      },
    ],
    [
      "a co-author's approval does not count (trailer email another commit maps to a login)",
      {
        commits: [
          fakeCommit(OLD, { author: 'alice', coAuthors: [fakePerson('hana', 'hana@corp.example')] }),
          fakeCommit(HEAD, { author: 'alice', coAuthors: [fakePerson(null, 'Hana@Corp.example', 'Hana H.')] }),
        ],
        reviews: [fakeReview('hana', 'APPROVED', HEAD, T(1))],
        state: 'pending',
        login: 'hana',
        counted: false,
        refusal: 'co-author',
        detail: /co-authored 1a2b3c4, 5d6e7f8/,
      },
    ],
    [
      "the PR author's approval does not count",
      { reviews: [fakeReview('dave', 'APPROVED', HEAD, T(1))], state: 'pending', login: 'dave', counted: false, refusal: 'pr-author', detail: /dave opened the pull request/ },
    ],
    [
      "the PR author's approval does not count even without separation of duties",
      { sod: false, reviews: [fakeReview('Dave', 'APPROVED', HEAD, T(1))], state: 'pending', login: 'Dave', counted: false, refusal: 'pr-author' },
    ],
    ["without separation of duties a commit author's approval counts", { sod: false, reviews: [fakeReview('alice', 'APPROVED', HEAD, T(1))], state: 'passed', login: 'alice', counted: true }],
    [
      'a later COMMENTED review does not cancel an approval',
      { reviews: [fakeReview('ivan', 'APPROVED', HEAD, T(1)), fakeReview('ivan', 'COMMENTED', HEAD, T(2))], state: 'passed', login: 'ivan', counted: true },
    ],
    [
      'an approval after a change request replaces it',
      { reviews: [fakeReview('ivan', 'CHANGES_REQUESTED', OLD, T(1)), fakeReview('ivan', 'APPROVED', HEAD, T(2))], state: 'passed', login: 'ivan', counted: true },
    ],
    [
      'a dismissed approval is withdrawn (GitHub marks the review itself DISMISSED)',
      { reviews: [fakeReview('ivan', 'DISMISSED', HEAD, T(1))], state: 'pending', login: 'ivan', counted: false, refusal: 'superseded', detail: /dismissed/ },
    ],
    ['a draft (PENDING) review is ignored', { reviews: [fakeReview('ivan', 'APPROVED', HEAD, T(1)), fakeReview('ivan', 'PENDING', HEAD, T(2))], state: 'passed', login: 'ivan', counted: true }],
  ])('%s', async (_name, c) => {
    const config = productConfig({ staging: c.sod === false ? { signoff: { approvals: 1, separation_of_duties: false } } : {} });
    const facts = fakeFacts({ commits: c.commits ?? alice, reviews: c.reviews, pullRequest: { author: 'dave', headSha: HEAD }, files: ['src/app.ts'] });
    const { result, verdicts } = await assessApprovals(ctxOf(config, 'staging', facts));
    expect(result.state).toBe(c.state);
    const verdict = verdicts.filter((v) => v.login === c.login).at(-1);
    expect(verdict).toBeDefined();
    expect(verdict!.counted).toBe(c.counted);
    expect(verdict!.refusal).toBe(c.refusal);
    if (c.detail) expect(verdict!.detail).toMatch(c.detail);
  });
});

describe('approvals: latest review per reviewer wins', () => {
  it.each<[string, ReviewFact[], RuleState]>([
    ['approve then request changes: blocked', [fakeReview('ivan', 'APPROVED', HEAD, T(1)), fakeReview('ivan', 'CHANGES_REQUESTED', HEAD, T(2))], 'blocked'],
    ['request changes then approve: passed', [fakeReview('ivan', 'CHANGES_REQUESTED', HEAD, T(1)), fakeReview('ivan', 'APPROVED', HEAD, T(2))], 'passed'],
    ['approve, then approval dismissed: pending', [fakeReview('ivan', 'APPROVED', HEAD, T(1)), fakeReview('ivan', 'DISMISSED', HEAD, T(2))], 'pending'],
    ['change request dismissed, another approves: passed', [fakeReview('ivan', 'DISMISSED', OLD, T(1)), fakeReview('jon', 'APPROVED', HEAD, T(2))], 'passed'],
    ['order is by submission time, not listing order', [fakeReview('ivan', 'APPROVED', HEAD, T(5)), fakeReview('ivan', 'CHANGES_REQUESTED', OLD, T(1))], 'passed'],
    ['approve old head, comment on new head: still stale', [fakeReview('ivan', 'APPROVED', OLD, T(1)), fakeReview('ivan', 'COMMENTED', HEAD, T(2))], 'pending'],
  ])('%s', async (_name, reviews, state) => {
    const facts = fakeFacts({ commits: alice, reviews, files: ['src/app.ts'] });
    expect((await approvalsRule.evaluate(ctxOf(productConfig(), 'staging', facts))).state).toBe(state);
  });

  it('keeps only decisive reviews as standing', () => {
    const standing = standingReviews([fakeReview('Ivan', 'APPROVED', HEAD, T(1)), fakeReview('ivan', 'COMMENTED', HEAD, T(2))]);
    expect([...standing.keys()]).toEqual(['ivan']);
    expect(standing.get('ivan')?.state).toBe('APPROVED');
  });
});

describe('approvals: eligibility and change requests (production: 2 from anna or @acme/release-managers)', () => {
  const prod = (reviews: ReviewFact[], extra: Partial<FakeFactsInput> = {}) => fakeFacts({ commits: alice, reviews, teams, files: ['src/app.ts'], ...extra });

  it.each<[string, ReviewFact[], RuleState, RegExp]>([
    [
      'a listed user and an active team member: passed',
      [fakeReview('anna', 'APPROVED', HEAD, T(1)), fakeReview('tom', 'APPROVED', HEAD, T(2))],
      'passed',
      /2 of 2 approvals of head 5d6e7f8: anna and tom/,
    ],
    [
      'a pending team member is not eligible',
      [fakeReview('anna', 'APPROVED', HEAD, T(1)), fakeReview('pat', 'APPROVED', HEAD, T(2))],
      'pending',
      /^1 of 2 approvals of head 5d6e7f8 from anna or @acme\/release-managers \(so far: anna\)$/,
    ],
    ['an outsider is not eligible', [fakeReview('anna', 'APPROVED', HEAD, T(1)), fakeReview('zed', 'APPROVED', HEAD, T(2))], 'pending', /1 of 2/],
    [
      'a change request from an eligible reviewer blocks, whatever its commit',
      [fakeReview('anna', 'APPROVED', HEAD, T(1)), fakeReview('tom', 'APPROVED', HEAD, T(2)), fakeReview('Anna', 'CHANGES_REQUESTED', OLD, T(3))],
      'blocked',
      /changes requested by Anna \(on 1a2b3c4\)/,
    ],
    ['a change request from a team member blocks', [fakeReview('anna', 'APPROVED', HEAD, T(1)), fakeReview('tom', 'CHANGES_REQUESTED', HEAD, T(2))], 'blocked', /changes requested by tom/],
    [
      'a change request from a non-eligible reviewer does not block',
      [fakeReview('anna', 'APPROVED', HEAD, T(1)), fakeReview('tom', 'APPROVED', HEAD, T(2)), fakeReview('zed', 'CHANGES_REQUESTED', HEAD, T(3))],
      'passed',
      /2 of 2/,
    ],
    [
      'a change request from a pending team member does not block',
      [fakeReview('anna', 'APPROVED', HEAD, T(1)), fakeReview('tom', 'APPROVED', HEAD, T(2)), fakeReview('pat', 'CHANGES_REQUESTED', HEAD, T(3))],
      'passed',
      /2 of 2/,
    ],
    [
      'a withdrawn change request (approved later) no longer blocks',
      [fakeReview('anna', 'CHANGES_REQUESTED', OLD, T(1)), fakeReview('anna', 'APPROVED', HEAD, T(2)), fakeReview('tom', 'APPROVED', HEAD, T(3))],
      'passed',
      /2 of 2/,
    ],
  ])('%s', async (_name, reviews, state, reason) => {
    const result = await approvalsRule.evaluate(ctxOf(productConfig(), 'production', prod(reviews)));
    expect(result.state).toBe(state);
    expect(result.reason).toMatch(reason);
  });

  it('explains why a pending team member was refused', async () => {
    const { verdicts } = await assessApprovals(ctxOf(productConfig(), 'production', prod([fakeReview('pat', 'APPROVED', HEAD, T(1))])));
    expect(verdicts).toEqual([expect.objectContaining({ login: 'pat', counted: false, refusal: 'not-eligible', detail: "pat's membership of @acme/release-managers is pending" })]);
  });

  it('blocks, naming the team, when team membership cannot be read', async () => {
    const facts = prod([fakeReview('anna', 'APPROVED', HEAD, T(1)), fakeReview('tom', 'APPROVED', HEAD, T(2))], { errors: { teamMembership: 'HTTP 502' } });
    const result = await approvalsRule.evaluate(ctxOf(productConfig(), 'production', facts));
    expect(result.state).toBe('blocked');
    expect(result.reason).toMatch(/could not read tom's membership of @acme\/release-managers: HTTP 502/);
  });

  it('does not need team membership when listed users already suffice', async () => {
    const config = productConfig({ production: { signoff: { approvals: 1, reviewers: ['anna', '@acme/release-managers'] } } });
    const facts = prod([fakeReview('anna', 'APPROVED', HEAD, T(1))], { errors: { teamMembership: 'HTTP 502' } });
    expect((await approvalsRule.evaluate(ctxOf(config, 'production', facts))).state).toBe('passed');
    expect(facts.calls.teamMembership).toBe(0);
  });
});

describe('approvals: risk tiers and low-risk ranges', () => {
  const good = [fakeReview('anna', 'APPROVED', HEAD, T(1)), fakeReview('tom', 'APPROVED', HEAD, T(2))];
  const leads = [fakeReview('pia', 'APPROVED', HEAD, T(3)), fakeReview('paul', 'APPROVED', HEAD, T(4))];

  it.each<[string, string, NonNullable<FakeFactsInput['files']>, ReviewFact[], RuleState, string[]]>([
    ['payments file, staging: the tier does not apply', 'staging', ['src/payments/charge.ts'], [fakeReview('ivan', 'APPROVED', HEAD, T(1))], 'passed', ['passed']],
    ['payments file, production without leads: pending', 'production', ['src/payments/charge.ts'], good, 'pending', ['passed', 'pending']],
    ['payments file, production with leads: passed', 'production', ['src/payments/charge.ts', 'src/app.ts'], [...good, ...leads], 'passed', ['passed', 'passed']],
    [
      'migration renamed away still touches the tier',
      'production',
      [{ filename: 'archive/0001.sql', status: 'renamed', previousFilename: 'migrations/0001.sql' }],
      good,
      'pending',
      ['passed', 'pending'],
    ],
    ['no payments file, production: stage requirement only', 'production', ['src/app.ts'], good, 'passed', ['passed']],
    ['docs-only range needs no manual sign-off (production)', 'production', ['docs/guide.md', 'README.md'], [], 'passed', ['passed']],
    ['docs-only range needs no manual sign-off (staging)', 'staging', ['docs/guide.md'], [], 'passed', ['passed']],
    ['docs and code need the usual sign-off', 'production', ['docs/guide.md', 'src/app.ts'], [], 'pending', ['pending']],
    ['an empty file list is not low-risk', 'production', [], [], 'pending', ['pending']],
    ['docs-only range still blocks on an eligible change request', 'production', ['docs/guide.md'], [fakeReview('anna', 'CHANGES_REQUESTED', HEAD, T(1))], 'blocked', ['blocked']],
  ])('%s', async (_name, stage, files, reviews, state, childStates) => {
    const facts = fakeFacts({ commits: alice, reviews, teams, files });
    const result = await approvalsRule.evaluate(ctxOf(productConfig(), stage, facts));
    expect(result.state).toBe(state);
    expect(result.children?.map((c) => c.state)).toEqual(childStates);
  });

  it('names the risk requirement and its reviewers when it waits', async () => {
    const facts = fakeFacts({ commits: alice, reviews: [...good, leads[0]!], teams, files: ['migrations/0042_cards.sql'] });
    const result = await approvalsRule.evaluate(ctxOf(productConfig(), 'production', facts));
    expect(result.children?.[1]).toMatchObject({ title: 'Sign-off for risk tier payments', state: 'pending', reason: '1 of 2 approvals of head 5d6e7f8 from @acme/payments-leads (so far: pia)' });
    expect(result.reason).toBe('production: 2 of 2 approvals of head 5d6e7f8: anna and tom; risk tier payments: 1 of 2 approvals of head 5d6e7f8 from @acme/payments-leads (so far: pia)');
  });

  it('says the low-risk waiver applied', async () => {
    const facts = fakeFacts({ commits: alice, files: ['docs/a.md'] });
    const result = await approvalsRule.evaluate(ctxOf(productConfig(), 'production', facts));
    expect(result.reason).toBe('only low-risk paths changed: no manual sign-off needed');
  });
});

describe('approvals: fails closed', () => {
  it.each<[string, Partial<FakeFactsInput>, RegExp]>([
    ['an incomplete review listing', { incomplete: { reviews: 'stopped after 3000' } }, /could not read every review \(stopped after 3000\)/],
    ['an incomplete commit listing', { incomplete: { commits: 'more than 250 commits' } }, /could not read every commit in the range \(more than 250 commits\)/],
    ['an incomplete file listing', { incomplete: { files: 'more than 3000 files' } }, /could not read every changed file/],
    ['reviews() throwing', { errors: { reviews: 'HTTP 500' } }, /^could not read review: HTTP 500$/],
    ['pullRequest() throwing', { errors: { pullRequest: 'Bad credentials' } }, /could not read the pull request: Bad credentials/],
  ])('%s blocks the rule', async (_name, extra, reason) => {
    const facts = fakeFacts({ commits: alice, reviews: [fakeReview('ivan', 'APPROVED', HEAD, T(1)), fakeReview('anna', 'APPROVED', HEAD, T(1))], files: ['src/app.ts'], ...extra });
    const result = await approvalsRule.evaluate(ctxOf(productConfig(), 'staging', facts));
    expect(result.state).toBe('blocked');
    expect(result.reason).toMatch(reason);
  });

  it('does not read commits without separation of duties, nor files without applicable tiers', async () => {
    const config = productConfig({ staging: { signoff: { approvals: 1, separation_of_duties: false } }, risk: [] });
    const facts = fakeFacts({ commits: alice, reviews: [fakeReview('ivan', 'APPROVED', HEAD, T(1))], incomplete: { commits: 'x', files: 'y' } });
    expect((await approvalsRule.evaluate(ctxOf(config, 'staging', facts))).state).toBe('passed');
    expect(facts.calls.commits).toBe(0);
    expect(facts.calls.files).toBe(0);
  });
});

describe('approvals: with no reviewers list, only write access counts', () => {
  it.each<[string, 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none', RuleState, boolean]>([
    ['an admin counts', 'admin', 'passed', true],
    ['a maintainer counts', 'maintain', 'passed', true],
    ['a writer counts', 'write', 'passed', true],
    ['a triager does not', 'triage', 'pending', false],
    ['a reader does not', 'read', 'pending', false],
    ['an outsider (e.g. on a public repository) does not', 'none', 'pending', false],
  ])('%s', async (_label, permission, state, counted) => {
    const facts = fakeFacts({ commits: alice, reviews: [fakeReview('ivan', 'APPROVED', HEAD, T(1))], permissions: { ivan: permission } });
    const { result, verdicts } = await assessApprovals(ctxOf(productConfig(), 'staging', facts));
    expect(result.state).toBe(state);
    expect(verdicts[0]).toMatchObject({ login: 'ivan', counted, ...(counted ? {} : { refusal: 'not-eligible' }) });
    if (!counted) expect(verdicts[0]?.detail).toMatch(/write access is required/);
  });

  it('is not green when the permission cannot be read', async () => {
    const facts = fakeFacts({ commits: alice, reviews: [fakeReview('ivan', 'APPROVED', HEAD, T(1))], errors: { permission: 'HTTP 502' } });
    const { result } = await assessApprovals(ctxOf(productConfig(), 'staging', facts));
    expect(result.state).not.toBe('passed');
    expect(JSON.stringify(result)).toMatch(/could not read ivan's permission: HTTP 502/);
  });
});
