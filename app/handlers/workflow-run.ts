import type { Context } from 'probot';
import { gateDependants } from '../gate-jobs.js';
import type { Job, JobContext, Route } from '../jobs.js';
import { publishRelease, type ReleaseOutcome } from '../release.js';
import { settleRun } from '../workflow-run.js';
import { jobOf } from './common.js';

/** A `workflow_run` delivery. */
export type WorkflowRunPayload = Context<'workflow_run'>['payload'];

/** Routes `workflow_run.completed`: a run that may have deployed a Stagegate deployment. */
export function routeWorkflowRun(event: { id: string; name: string }, p: WorkflowRunPayload): Route {
  if (p.action !== 'completed') return { kind: 'ignore', why: `workflow_run.${p.action} settles nothing` };
  const run = p.workflow_run;
  return jobOf(event, p, { kind: 'workflow-run', run: { id: run.id, displayTitle: run.display_title ?? '', path: run.path } });
}

/**
 * Settles the deployments the run deployed (their verification is final only now), publishes the
 * Release of each verified one, and re-evaluates the promotions verified in their environments.
 */
export async function runWorkflowRun(ctx: JobContext, job: Job & { work: { kind: 'workflow-run' } }): Promise<void> {
  const { owner, repo, defaultBranch, htmlUrl, fullName } = job.repo;
  const run = job.work.run;
  const settled = await settleRun(ctx.deps, ctx.client, { owner, repo }, run);
  if (settled.environments.length === 0) return ctx.report({ event: job.event, outcome: 'ignored', why: `run ${run.id} deploys no Stagegate deployment` });
  ctx.report({ event: job.event, outcome: 'recorded', appended: settled.recorded });
  // A deployment verified by this run (trusted evidence) publishes its stage's Release.
  for (const { deployment: d, verdict } of settled.verified) {
    const info = {
      id: d.id,
      sha: d.sha,
      ref: d.ref ?? d.sha,
      environment: d.environment,
      createdAt: d.created_at,
      payload: d.payload,
      creator: d.creator?.login ?? null,
      performedViaApp: d.performed_via_github_app ? { id: d.performed_via_github_app.id, slug: d.performed_via_github_app.slug ?? null } : null,
    };
    await ctx.serial(`${fullName}:release`, async () => {
      const result = await publishRelease(ctx.deps, ctx.client, { owner, repo, defaultBranch, repoUrl: htmlUrl }, info, verdict).catch((err: unknown): ReleaseOutcome => ({
        kind: 'failed',
        why: (err as Error).message,
      }));
      ctx.report({ event: job.event, outcome: 'release', deploymentId: d.id, result });
    });
  }
  for (const env of settled.environments) await gateDependants(ctx, job, env, 'workflow_run');
}
