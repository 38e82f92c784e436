import type { Rule } from '../gate/types.js';
import { failClosed, humanList, plural, readAll, shortSha } from './common.js';

const ID = 'verified-commits';
const TITLE = 'Signed commits';

/**
 * Signed commits (`signoff.require_verified_commits: true`): every commit of base..head must carry a
 * signature GitHub verified (`commit.verification.verified`). Unverified commits block, named with
 * GitHub's reason (`unsigned`, `unknown_key`, `bad_email`, ...); a commit GitHub says nothing about
 * blocks too. An incomplete commit listing blocks.
 */
export const verifiedCommitsRule: Rule = {
  id: ID,
  title: TITLE,
  triggers: ['pull_request'],
  applies: (stage) => stage.signoff.require_verified_commits,
  evaluate: failClosed(ID, TITLE, async (ctx) => {
    const commits = await readAll('commit in the range', () => ctx.facts.commits());
    const bad = commits.filter((c) => c.verification?.verified !== true).map((c) => `${shortSha(c.sha)} (${c.verification ? c.verification.reason : 'no verification reported'})`);
    if (bad.length > 0) {
      const shown = bad.slice(0, 10);
      return {
        id: ID,
        title: TITLE,
        state: 'blocked',
        reason: `${plural(bad.length, 'commit')} without a verified signature: ${humanList(shown)}${bad.length > shown.length ? ` and ${bad.length - shown.length} more` : ''}`,
        matched: commits.filter((c) => c.verification?.verified !== true).map((c) => c.sha),
      };
    }
    return { id: ID, title: TITLE, state: 'passed', reason: `all ${plural(commits.length, 'commit')} carry a signature GitHub verified`, matched: [] };
  }),
};
