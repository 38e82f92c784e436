import { durationMs, formatDuration } from '../config/duration.js';
import type { DeploymentFact } from '../facts/types.js';
import type { Rule, RuleResult } from '../gate/types.js';
import { isVerifiedDescription } from '../render/deploy-report.js';
import { failClosed, readAll, readFact, shortSha } from './common.js';

const ID = 'verified-in';
const TITLE = 'Verified in';

const WAITING = new Set(['in_progress', 'queued', 'pending']);

/** Deployments newest first by creation time (listing order kept on ties). */
function newestFirst(deployments: readonly DeploymentFact[]): DeploymentFact[] {
  return deployments
    .map((d, i) => ({ d, i, t: Date.parse(d.createdAt) }))
    .sort((a, b) => (Number.isNaN(a.t) || Number.isNaN(b.t) || a.t === b.t ? a.i - b.i : b.t - a.t))
    .map(({ d }) => d);
}

/**
 * Verified in: the newest deployment to the `verified_in` environment must be of the head commit (or of a
 * commit with the identical tree), its latest status `success` (which the Action sets only after smoke
 * tests and metric checks passed, with its `success: ok (verified …)` description — a `success` set by
 * another tool or a job's own `environment:` is not a verification), set at least `soak` ago. Not deployed yet, deploying, or soaking is
 * pending; a newest deployment of other code, or a failed, errored or inactive one, blocks.
 */
export const verifiedInRule: Rule = {
  id: ID,
  title: TITLE,
  triggers: ['deployment_status', 'pull_request', 'time'],
  applies: (stage) => stage.verified_in !== undefined,
  evaluate: failClosed(ID, TITLE, async (ctx) => {
    const env = ctx.stage.verified_in;
    const title = `${TITLE} ${env ?? '?'}`;
    const result = (state: RuleResult['state'], reason: string, matched: string[] = [], nextChangeAt?: string): RuleResult => ({
      id: ID,
      title,
      state,
      reason,
      matched,
      ...(nextChangeAt ? { nextChangeAt } : {}),
    });
    if (env === undefined) return result('passed', 'no verification stage configured');
    const pr = await readFact('the pull request', () => ctx.facts.pullRequest());
    const head = pr.headSha;
    const deployments = newestFirst(await readAll(`deployment to ${env}`, () => ctx.facts.deployments(env)));
    const newest = deployments[0];
    if (!newest) return result('pending', `head ${shortSha(head)} not yet deployed to ${env}`);

    let same = newest.sha === head ? 'head' : null;
    if (same === null) {
      const [deployedTree, headTree] = await Promise.all([
        readFact(`the tree of ${shortSha(newest.sha)}`, () => ctx.facts.treeOf(newest.sha)),
        readFact(`the tree of ${shortSha(head)}`, () => ctx.facts.treeOf(head)),
      ]);
      if (deployedTree === headTree) same = `${shortSha(newest.sha)} (same tree as head ${shortSha(head)})`;
    }
    const ref = `deployment ${newest.id}`;
    if (same === null) return result('blocked', `${env} now runs ${shortSha(newest.sha)} (${ref}), not head ${shortSha(head)}`, [ref]);

    const status = newest.latestStatus;
    if (status === null) return result('pending', `${env} ${ref} of ${same} has no status yet`, [ref]);
    if (WAITING.has(status.state)) return result('pending', `${env} ${ref} of ${same} is ${status.state.replace('_', ' ')}`, [ref]);
    if (status.state !== 'success') return result('blocked', `${env} ${ref} of ${same} ended ${status.state}`, [ref]);
    if (!isVerifiedDescription(status.description)) {
      return result('blocked', `${env} ${ref} of ${same} is marked success, but not by the Stagegate Action's verification ("${status.description ?? ''}")`, [ref]);
    }

    const verifiedAt = Date.parse(status.createdAt);
    if (Number.isNaN(verifiedAt)) return result('blocked', `${env} ${ref} has an unreadable status time "${status.createdAt}"`, [ref]);
    const soak = ctx.stage.soak ? durationMs(ctx.stage.soak) : 0;
    const elapsed = ctx.now.getTime() - verifiedAt;
    const ago = formatDuration(Math.max(0, elapsed));
    if (elapsed < soak) {
      const until = new Date(verifiedAt + soak).toISOString();
      return result('pending', `${same} verified in ${env} ${ago} ago; soak ${ctx.stage.soak} ends in ${formatDuration(soak - elapsed)} (${until})`, [ref], until);
    }
    return result('passed', `${same} verified in ${env} ${ago} ago${soak > 0 ? ` (soak ${ctx.stage.soak})` : ''}`, [ref]);
  }),
};
