import { durationMs } from '../config/duration.js';
import type { DeploymentFact } from '../facts/types.js';
import type { Rule, RuleContext, RuleResult } from '../gate/types.js';
import { decisiveStatus, deploymentOrigin, judgeVerification, runIdOf, type DeploymentOrigin, type TrustPolicy } from '../protocol/evidence.js';
import { failClosed, plural, readAll, readFact, shortSha } from './common.js';

const ID = 'verified-in';
/** How soon a verification whose run has not completed yet is evaluated again. */
const RUN_RECHECK_MS = 60_000;
const TITLE = 'Verified in';

/** Deployments newest first by creation time (listing order kept on ties). */
function newestFirst(deployments: readonly DeploymentFact[]): DeploymentFact[] {
  return deployments
    .map((d, i) => ({ d, i, t: Date.parse(d.createdAt) }))
    .sort((a, b) => (Number.isNaN(a.t) || Number.isNaN(b.t) || a.t === b.t ? a.i - b.i : b.t - a.t))
    .map(({ d }) => d);
}

/** What counts as evidence of a deploy to `env`: the app, and the deploy workflow on that stage's branch. */
function trustFor(ctx: RuleContext, env: string): TrustPolicy | null {
  if (!ctx.app || (ctx.app.id === null && ctx.app.slug === null)) return null;
  const target = ctx.config.stages.find((s) => s.name === env);
  return { app: ctx.app, repository: ctx.facts.repository, workflow: ctx.config.deploy.workflow, ref: ctx.config.deploy.ref ?? target?.branch ?? env };
}

/**
 * Verified in: the newest *Stagegate* deployment to the `verified_in` environment (one the app
 * created, one the Action created to roll back, or — in protection-rule mode — a job deployment the
 * app approved) must be of the head commit (or of a commit with the identical tree) and verified:
 * its success must come from a successful run of the protected deploy workflow bound to that very
 * deployment (src/protocol/evidence.ts), at least `soak` ago. A status string is never enough: a
 * success anyone else posted is named as untrusted. Deployments not made by Stagegate are passed
 * over (named). Not deployed yet, deploying, or soaking is pending; other code running there, a
 * rollback, a failure or an untrusted success blocks.
 */
export const verifiedInRule: Rule = {
  id: ID,
  title: TITLE,
  triggers: ['deployment_status', 'workflow_run', 'pull_request', 'time'],
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
    const trust = trustFor(ctx, env);
    if (!trust) return result('blocked', 'the Stagegate app’s identity is unknown, so no verification can be trusted');
    const pr = await readFact('the pull request', () => ctx.facts.pullRequest());
    const head = pr.headSha;
    const listing = await readFact(`the deployments to ${env}`, () => ctx.facts.deployments(env));

    let found: { d: DeploymentFact; origin: Exclude<DeploymentOrigin, { kind: 'foreign' }> } | null = null;
    const ignored: string[] = [];
    for (const d of newestFirst(listing.items)) {
      const approvedRun = d.performedViaApp?.slug === 'github-actions' ? await readFact(`the app's approval of deployment ${d.id}`, () => ctx.facts.approvedRunOf(d.id)) : null;
      const origin = deploymentOrigin(d, trust, (id) => (id === d.id ? approvedRun : null));
      if (origin.kind === 'foreign') {
        ignored.push(origin.why);
        continue;
      }
      found = { d, origin };
      break;
    }
    const passedOver = ignored.length
      ? ` (passed over ${plural(ignored.length, 'untrusted deployment')} not made by Stagegate: ${ignored.slice(0, 2).join('; ')}${ignored.length > 2 ? '; …' : ''})`
      : '';
    if (!found) {
      if (!listing.complete) return result('blocked', `could not find a Stagegate deployment among the newest deployments to ${env} (${listing.reason})${passedOver}`);
      return result('pending', `head ${shortSha(head)} not yet deployed to ${env} by Stagegate${passedOver}`);
    }
    const { d, origin } = found;
    const ref = `deployment ${d.id}`;
    if (origin.kind === 'rollback') {
      return result(
        'blocked',
        `${env} was rolled back: ${ref} redeployed ${shortSha(d.sha)} after deployment ${origin.payload.rollback_of} failed, so head ${shortSha(head)} is not what runs there${passedOver}`,
        [ref],
      );
    }

    let same = d.sha === head ? 'head' : null;
    if (same === null) {
      const [deployedTree, headTree] = await Promise.all([
        readFact(`the tree of ${shortSha(d.sha)}`, () => ctx.facts.treeOf(d.sha)),
        readFact(`the tree of ${shortSha(head)}`, () => ctx.facts.treeOf(head)),
      ]);
      if (deployedTree === headTree) same = `${shortSha(d.sha)} (same tree as head ${shortSha(head)})`;
    }
    if (same === null) return result('blocked', `${env} now runs ${shortSha(d.sha)} (${ref}), not head ${shortSha(head)}${passedOver}`, [ref]);

    const statuses = await readAll(`status of ${ref}`, () => ctx.facts.deploymentStatuses(d.id));
    const decisive = decisiveStatus(statuses);
    const runId = decisive?.state === 'success' ? runIdOf(decisive, trust.repository) : null;
    const run = runId === null ? undefined : await readFact(`workflow run ${runId}`, () => ctx.facts.workflowRun(runId));
    const v = judgeVerification(d, origin, statuses, run, trust);
    // A success whose run is still finishing is looked at again shortly, also if no webhook comes.
    if (v.kind === 'pending') return result('pending', `${env} ${ref} of ${same}: ${v.why}${passedOver}`, [ref], run ? new Date(ctx.now.getTime() + RUN_RECHECK_MS).toISOString() : undefined);
    if (v.kind === 'failed') return result('blocked', `${env} ${ref} of ${same}: ${v.why}${passedOver}`, [ref]);
    if (v.kind === 'untrusted') return result('blocked', `${env} ${ref} of ${same} is not verified: untrusted success — ${v.why}${passedOver}`, [ref]);

    const verifiedAt = Date.parse(v.verifiedAt);
    const soak = ctx.stage.soak ? durationMs(ctx.stage.soak) : 0;
    const elapsed = ctx.now.getTime() - verifiedAt;
    // Absolute times only: a reason that said "3m ago" would change with the clock and rewrite the check every evaluation.
    const at = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const by = `by run ${v.run.id} at ${at(verifiedAt)}`;
    if (elapsed < soak) {
      const until = new Date(verifiedAt + soak).toISOString();
      return result('pending', `${same} verified in ${env} ${by}; soak ${ctx.stage.soak} ends at ${at(verifiedAt + soak)}${passedOver}`, [ref], until);
    }
    return result('passed', `${same} verified in ${env} ${by}${soak > 0 ? ` (soak ${ctx.stage.soak})` : ''}${passedOver}`, [ref]);
  }),
};
