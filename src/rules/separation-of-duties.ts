import type { Rule } from '../gate/types.js';
import { failClosed, humanList, plural, readAll, shortSha } from './common.js';
import { rangePeople, type RangeRole } from './people.js';

const ID = 'separation-of-duties';
const TITLE = 'Separation of duties';

const ROLE_ORDER: RangeRole[] = ['author', 'committer', 'co-author', 'pusher'];

/**
 * Separation of duties: every author, committer and co-author of every commit in base..head must map to
 * a GitHub account, and who pushed each commit must be known (GitHub's own record of the branch's ref
 * updates), so that the approvals rule can exclude them all. Blocks on an incomplete commit listing, on
 * commits whose pusher cannot be told, and on any person that maps to no account (GitHub's web-flow
 * committer excepted), naming the commit and the email. Passes listing the people excluded from sign-off.
 */
export const separationOfDutiesRule: Rule = {
  id: ID,
  title: TITLE,
  triggers: ['pull_request'],
  applies: (stage) => stage.signoff.separation_of_duties,
  evaluate: failClosed(ID, TITLE, async (ctx) => {
    const [commits, pushes] = await Promise.all([readAll('commit in the range', () => ctx.facts.commits()), readAll('push of the range (who pushed each commit)', () => ctx.facts.pushes())]);
    const people = rangePeople(commits, pushes);
    if (people.unmapped.length > 0) {
      const list = people.unmapped.map((u) => `${u.role} <${u.email}> of ${shortSha(u.sha)}`);
      return {
        id: ID,
        title: TITLE,
        state: 'blocked',
        reason: `cannot tell who wrote every commit: ${humanList(list)} ${people.unmapped.length === 1 ? 'maps' : 'map'} to no GitHub account`,
        matched: [...new Set(people.unmapped.map((u) => u.email))],
      };
    }
    const excluded = [...people.participants.values()].sort((a, b) => a.login.localeCompare(b.login));
    const reason =
      excluded.length === 0
        ? `${plural(commits.length, 'commit')}, nobody to exclude`
        : `${plural(commits.length, 'commit')}; excluded from sign-off: ${excluded.map((p) => `${p.login} (${ROLE_ORDER.filter((r) => p.roles.has(r)).join(', ')})`).join(', ')}`;
    return { id: ID, title: TITLE, state: 'passed', reason, matched: excluded.map((p) => p.login) };
  }),
};
