import type { Context } from 'probot';
import type { Job, JobContext, Route } from '../jobs.js';
import { reviewProtectionRule } from '../protection-rule.js';
import { jobOf } from './common.js';

/** A `deployment_protection_rule` delivery. */
export type DeploymentProtectionRulePayload = Context<'deployment_protection_rule'>['payload'];

/** Routes `deployment_protection_rule.requested`: a job deployment waiting for this app's answer. */
export function routeDeploymentProtectionRule(event: { id: string; name: string }, p: DeploymentProtectionRulePayload): Route {
  if (!p.environment || !p.deployment_callback_url || !p.deployment) return { kind: 'ignore', why: 'the request names no environment, deployment or callback URL' };
  return jobOf(event, p, {
    kind: 'protection-rule',
    request: {
      environment: p.environment,
      callbackUrl: p.deployment_callback_url,
      deployment: { id: p.deployment.id, sha: p.deployment.sha, ref: p.deployment.ref },
      event: p.event ?? null,
      sender: p.sender?.login ?? null,
    },
  });
}

/** Approves or rejects the job deployment. */
export async function runDeploymentProtectionRule(ctx: JobContext, job: Job & { work: { kind: 'protection-rule' } }): Promise<void> {
  const { owner, repo } = job.repo;
  const result = await reviewProtectionRule(ctx.deps, { client: ctx.client, owner, repo, ...job.work.request });
  ctx.report({ event: job.event, outcome: 'protection-rule', result });
}
