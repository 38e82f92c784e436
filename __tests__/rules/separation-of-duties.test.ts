import { describe, expect, it } from '@jest/globals';
import { fakeCommit, fakeFacts, fakePerson, type FakeFactsInput } from '../../src/facts/fake.js';
import type { RuleState } from '../../src/gate/types.js';
import { separationOfDutiesRule } from '../../src/rules/separation-of-duties.js';
import { HEAD, OLD, ctxOf, productConfig } from './support.js';

const webFlow = fakePerson(null, 'noreply@github.com', 'GitHub');

describe('separation of duties', () => {
  it.each<[string, FakeFactsInput, RuleState, string]>([
    [
      'everyone maps to an account: passed, listing the excluded people',
      { commits: [fakeCommit(OLD, { author: 'alice', coAuthors: ['frank'] }), fakeCommit(HEAD, { author: 'bob', committer: 'Alice' })] },
      'passed',
      '2 commits; excluded from sign-off: alice (author, committer), bob (author), frank (co-author)',
    ],
    ['GitHub web-flow as committer (no login) is accepted', { commits: [fakeCommit(HEAD, { author: 'alice', committer: webFlow })] }, 'passed', '1 commit; excluded from sign-off: alice (author)'],
    [
      'GitHub web-flow as committer (login web-flow) is accepted',
      { commits: [fakeCommit(HEAD, { author: 'alice', committer: 'web-flow' })] },
      'passed',
      '1 commit; excluded from sign-off: alice (author)',
    ],
    [
      'a co-author with a no-reply email maps to its login',
      { commits: [fakeCommit(HEAD, { author: 'alice', coAuthors: [fakePerson(null, '99+gina@users.noreply.github.com', 'Gina')] })] },
      'passed',
      '1 commit; excluded from sign-off: alice (author, committer), gina (co-author)',
    ],
    [
      'an author without an account blocks, naming the commit and the email',
      { commits: [fakeCommit(OLD, { author: 'alice' }), fakeCommit(HEAD, { author: fakePerson(null, 'ghost@laptop.local', 'Ghost') })] },
      'blocked',
      'cannot tell who wrote every commit: author <ghost@laptop.local> of 5d6e7f8 and committer <ghost@laptop.local> of 5d6e7f8 map to no GitHub account',
    ],
    [
      'a committer without an account blocks',
      { commits: [fakeCommit(HEAD, { author: 'alice', committer: fakePerson(null, 'ci@build.local', 'CI') })] },
      'blocked',
      'cannot tell who wrote every commit: committer <ci@build.local> of 5d6e7f8 maps to no GitHub account',
    ],
    [
      'a committer merely named "GitHub" with another email is not web-flow',
      { commits: [fakeCommit(HEAD, { author: 'alice', committer: fakePerson(null, 'me@evil.example', 'GitHub') })] },
      'blocked',
      'cannot tell who wrote every commit: committer <me@evil.example> of 5d6e7f8 maps to no GitHub account',
    ],
    [
      'a co-author trailer that maps to no account blocks',
      { commits: [fakeCommit(HEAD, { author: 'alice', coAuthors: [fakePerson(null, 'pal@home.example', 'Pal')] })] },
      'blocked',
      'cannot tell who wrote every commit: co-author <pal@home.example> of 5d6e7f8 maps to no GitHub account',
    ],
    [
      'an incomplete commit listing blocks',
      { commits: [fakeCommit(HEAD, { author: 'alice' })], incomplete: { commits: 'the compare API returns at most 250 commits' } },
      'blocked',
      'could not read every commit in the range (the compare API returns at most 250 commits)',
    ],
    ['commits() throwing blocks', { errors: { commits: 'HTTP 404' } }, 'blocked', 'could not read commit in the range: HTTP 404'],
  ])('%s', async (_name, input, state, reason) => {
    const result = await separationOfDutiesRule.evaluate(ctxOf(productConfig(), 'production', fakeFacts(input)));
    expect(result.state).toBe(state);
    expect(result.reason).toBe(reason);
  });

  it('applies only with separation_of_duties', () => {
    const off = productConfig({ staging: { signoff: { approvals: 1, separation_of_duties: false } } });
    expect(separationOfDutiesRule.applies(off.stages[0]!, off)).toBe(false);
    expect(separationOfDutiesRule.applies(off.stages[1]!, off)).toBe(true);
  });
});
