import { gateSha } from './gate-jobs.js';
import { runDeploymentProtectionRule } from './handlers/deployment-protection-rule.js';
import { runDeploymentStatus } from './handlers/deployment-status.js';
import { runMerge, runPullRequest } from './handlers/pull-request.js';
import { runPush } from './handlers/push.js';
import { runWorkflowRun } from './handlers/workflow-run.js';
import type { Job, JobContext } from './jobs.js';
import { runIssueComment } from './handlers/issue-comment.js';

/** Runs one job with the handler of its kind. */
export async function runJob(ctx: JobContext, job: Job): Promise<void> {
  const w = job.work;
  switch (w.kind) {
    case 'pull-request':
      return runPullRequest(ctx, { ...job, work: w });
    case 'gate':
      await ctx.gate(job, w.pullNumber, w.event, w.headSha);
      return;
    case 'gate-sha':
      return gateSha(ctx, { ...job, work: w });
    case 'merge':
      return runMerge(ctx, { ...job, work: w });
    case 'deployment-status':
      return runDeploymentStatus(ctx, { ...job, work: w });
    case 'workflow-run':
      return runWorkflowRun(ctx, { ...job, work: w });
    case 'standing':
      return runPush(ctx, { ...job, work: w });
    case 'protection-rule':
      return runDeploymentProtectionRule(ctx, { ...job, work: w });
    case 'command':
      return runIssueComment(ctx, { ...job, work: w });
  }
}
