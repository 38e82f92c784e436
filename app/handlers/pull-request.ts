import type { Context } from 'probot';
import { handleMerge } from '../merge.js';
import { runConfigCheck } from '../config-check.js';
import { pullKey, sameRepo, type Job, type JobContext, type Route } from '../jobs.js';
import { jobOf } from './common.js';

/** A `pull_request` delivery. */
export type PullRequestPayload = Context<'pull_request'>['payload'];

/**
 * Routes `pull_request`: opened, reopened, synchronize and a retargeting edit evaluate the gate (and
 * the `stagegate/config` check); a merge deploys; title/body edits, forks and other actions do nothing.
 */
export function routePullRequest(event: { id: string; name: string }, p: PullRequestPayload): Route {
  const pr = p.pull_request;
  if (p.action === 'closed') {
    if (!pr.merged) return { kind: 'ignore', why: 'closed without merging' };
    if (!sameRepo(pr)) return { kind: 'ignore', why: 'fork pull requests are never promotions' };
    return jobOf(event, p, { kind: 'merge', pullNumber: pr.number });
  }
  if (p.action !== 'opened' && p.action !== 'reopened' && p.action !== 'synchronize' && p.action !== 'edited') return { kind: 'ignore', why: `pull_request.${p.action} cannot change the gate` };
  if (p.action === 'edited' && !p.changes.base) return { kind: 'ignore', why: 'an edit of title or body cannot change the gate' };
  if (!sameRepo(pr)) return { kind: 'ignore', why: 'fork pull requests are never promotions' };
  return jobOf(event, p, { kind: 'pull-request', pullNumber: pr.number, headSha: pr.head.sha, retargeted: p.action === 'edited' });
}

/** The `stagegate/config` check on a PR that changes the policy file (any base; never blocks the gate), then the gate. */
export async function runPullRequest(ctx: JobContext, job: Job & { work: { kind: 'pull-request' } }): Promise<void> {
  const { owner, repo } = job.repo;
  const { pullNumber, headSha, retargeted } = job.work;
  try {
    const result = await runConfigCheck(ctx.deps, { client: ctx.client, owner, repo, pullNumber });
    ctx.report({ event: job.event, outcome: 'config-check', pullRequest: pullNumber, result });
  } catch (err) {
    ctx.log.warn({ err }, 'stagegate: the stagegate/config check could not be published');
  }
  await ctx.gate(job, pullNumber, 'pull_request', headSha, { retargeted });
}

/** A merged promotion: deploys when its gate passed (serialised with the PR's evaluations). */
export async function runMerge(ctx: JobContext, job: Job & { work: { kind: 'merge' } }): Promise<void> {
  const { owner, repo, defaultBranch } = job.repo;
  const pullNumber = job.work.pullNumber;
  await ctx.serial(pullKey(job.repo, pullNumber), async () => {
    const result = await handleMerge(ctx.deps, { client: ctx.client, owner, repo, pullNumber, defaultBranch, deliveryId: job.delivery });
    ctx.report({ event: job.event, outcome: 'merge', pullRequest: pullNumber, result });
  });
}
