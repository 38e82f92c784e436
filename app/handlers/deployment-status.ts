import type { Context } from 'probot';
import { recordDeploymentStatus } from '../deployment-status.js';
import { gateDependants } from '../gate-jobs.js';
import type { Job, JobContext, Route } from '../jobs.js';
import { jobOf } from './common.js';

/** A `deployment_status` delivery. */
export type DeploymentStatusPayload = Context<'deployment_status'>['payload'];

const app = (a: { id: number | null; slug?: string | undefined } | null | undefined) => (a && a.id !== null ? { id: a.id, ...(a.slug !== undefined ? { slug: a.slug } : {}) } : null);

/** Routes `deployment_status`: always recorded (the audit trail), then the gates verified in its environment. */
export function routeDeploymentStatus(event: { id: string; name: string }, p: DeploymentStatusPayload): Route {
  const d = p.deployment;
  const s = p.deployment_status;
  return jobOf(event, p, {
    kind: 'deployment-status',
    deployment: {
      id: d.id,
      sha: d.sha,
      ref: d.ref,
      environment: d.environment,
      created_at: d.created_at,
      payload: d.payload,
      creator: d.creator ? { login: d.creator.login } : null,
      performed_via_github_app: app(d.performed_via_github_app),
    },
    status: {
      id: s.id,
      state: s.state,
      description: s.description,
      log_url: s.log_url ?? null,
      target_url: s.target_url,
      environment_url: s.environment_url ?? null,
      creator: s.creator ? { login: s.creator.login } : null,
      performed_via_github_app: app(s.performed_via_github_app),
      created_at: s.created_at,
    },
  });
}

const FINAL = new Set(['success', 'failure', 'error', 'inactive']);

/** Records the status; a final one re-evaluates the promotions verified in its environment. */
export async function runDeploymentStatus(ctx: JobContext, job: Job & { work: { kind: 'deployment-status' } }): Promise<void> {
  const { deployment, status } = job.work;
  const appended = await recordDeploymentStatus(ctx.deps, ctx.client, { repository: job.repo.fullName, deployment, status });
  ctx.report({ event: job.event, outcome: 'recorded', appended });
  if (!FINAL.has(status.state)) return;
  await gateDependants(ctx, job, deployment.environment, 'deployment_status');
}
