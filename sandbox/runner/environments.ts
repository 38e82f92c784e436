/**
 * Jobs that use an environment (`jobs.<id>.environment`), as GitHub runs them: the deployment branch
 * policy, a deployment GitHub creates for the job, the custom deployment protection rules (each
 * app gets `deployment_protection_rule` with a callback URL; the job waits until every rule
 * approved, one rejected, or the wait timed out), the environment's secrets for the steps, and the
 * deployment's statuses GitHub itself writes (`in_progress` when the job starts, `success` or
 * `failure` when it ends, each linking to the job's log).
 */
import type { GitHubSandbox } from '../github-sandbox.js';
import { iso } from '../json/common.js';
import { repoApiUrl, repoHtmlUrl } from '../json/repos.js';
import type { Account, DeploymentState, DeploymentStatusState, EnvironmentState, RepoState } from '../state.js';
import type { JobEnvironment, WorkflowRun } from './types.js';

/** How a job names its environment: `environment: name` or `{ name, url, deployment }`. */
export type JobEnvironmentSpec = string | { name?: string; url?: string; deployment?: boolean };

/** A job inside its environment. */
export interface EnteredEnvironment {
  env: EnvironmentState;
  record: JobEnvironment;
  deployment: DeploymentState | null;
  url: string;
}

/** The environment of a repository, created on first use as GitHub does. */
export function environmentOf(sb: GitHubSandbox, r: RepoState, name: string): EnvironmentState {
  let env = r.environments.get(name);
  if (!env) {
    const now = iso();
    env = { id: sb.nextId() + 80_000_000, name, createdAt: now, updatedAt: now, protectionRules: [], secrets: new Map(), branches: null };
    r.environments.set(name, env);
  }
  return env;
}

function jobUrl(sb: GitHubSandbox, r: RepoState, run: WorkflowRun, jobId: number): string {
  return `${repoHtmlUrl(sb.bases, r)}/actions/runs/${run.id}/job/${jobId}`;
}

async function jobStatus(sb: GitHubSandbox, r: RepoState, run: WorkflowRun, e: EnteredEnvironment, state: DeploymentStatusState['state'], description: string): Promise<void> {
  const d = e.deployment;
  if (!d) return;
  const bot = sb.account('github-actions[bot]');
  const log = jobUrl(sb, r, run, e.record.jobId);
  const status: DeploymentStatusState = {
    id: sb.nextId() + 50_000_000,
    state,
    description,
    environment: d.environment,
    targetUrl: log,
    logUrl: log,
    environmentUrl: e.url,
    creator: bot,
    viaApp: sb.actionsApp,
    createdAt: iso(),
  };
  d.statuses.push(status);
  d.updatedAt = status.createdAt;
  await sb.emit(
    r,
    'deployment_status',
    { action: 'created', deployment_status: sb.deploymentStatusJson(r, d, status), deployment: sb.deploymentJson(r, d), check_run: null, workflow: null, workflow_run: null },
    bot,
  );
}

/**
 * Enters a job's environment; resolves once the job may start (or must fail: `error` says why, as
 * GitHub's run page would). `waitMs` bounds the wait for protection rules.
 */
export async function enterEnvironment(
  sb: GitHubSandbox,
  r: RepoState,
  run: WorkflowRun,
  job: string,
  spec: JobEnvironmentSpec,
  expr: (s: string) => string,
  actor: Account,
  waitMs: number,
): Promise<{ entered: EnteredEnvironment; error: string | null }> {
  const name = expr(typeof spec === 'string' ? spec : (spec.name ?? ''));
  const env = environmentOf(sb, r, name);
  const record: JobEnvironment = { job, jobId: sb.nextId() + 60_000_000, environment: name, deploymentId: null, state: 'waiting', reviews: [] };
  run.environments.push(record);
  const url = typeof spec === 'object' && spec.url ? expr(spec.url) : '';
  const entered: EnteredEnvironment = { env, record, deployment: null, url };
  const branch = run.ref.replace(/^refs\/heads\//, '');
  if (env.branches !== null && !env.branches.includes(branch)) {
    record.state = 'not_allowed';
    return { entered, error: `Branch "${branch}" is not allowed to deploy to ${name} due to environment protection rules.` };
  }
  if (!(typeof spec === 'object' && spec.deployment === false)) {
    const now = iso();
    const d: DeploymentState = {
      id: sb.nextId() + 40_000_000,
      sha: run.headSha,
      ref: branch,
      task: 'deploy',
      environment: name,
      payload: {},
      description: null,
      creator: sb.account('github-actions[bot]'),
      viaApp: sb.actionsApp,
      transient: false,
      production: name === 'production',
      createdAt: now,
      updatedAt: now,
      statuses: [],
    };
    r.deployments.set(d.id, d);
    entered.deployment = d;
    record.deploymentId = d.id;
    await sb.emit(r, 'deployment', { action: 'created', deployment: sb.deploymentJson(r, d), workflow: null, workflow_run: null }, actor);
    await jobStatus(sb, r, run, entered, 'queued', '');
  }
  const rules = env.protectionRules.filter((p) => p.enabled);
  if (rules.length > 0) {
    run.status = 'waiting';
    sb.events.emit('change');
    const decided = sb.runner.waitForGate(run.id, name, rules.length, waitMs);
    for (const rule of rules) {
      if (rule.app.id !== sb.app.id || !entered.deployment) continue;
      await sb.emit(
        r,
        'deployment_protection_rule',
        {
          action: 'requested',
          environment: name,
          event: run.event,
          deployment_callback_url: `${repoApiUrl(sb.bases, r)}/actions/runs/${run.id}/deployment_protection_rule`,
          deployment: sb.deploymentJson(r, entered.deployment),
          pull_requests: [],
        },
        actor,
      );
    }
    const outcome = await decided;
    record.state = outcome;
    run.status = 'in_progress';
    sb.events.emit('change');
    if (outcome !== 'approved') {
      const why = outcome === 'timed_out' ? `the deployment protection rules of ${name} did not answer in time` : `a deployment protection rule of ${name} rejected the deployment`;
      await jobStatus(sb, r, run, entered, 'failure', why.slice(0, 140));
      return { entered, error: `Deployment to ${name} was ${outcome === 'timed_out' ? 'not approved in time' : 'rejected'}: ${record.reviews.map((x) => x.comment).join(' ') || why}` };
    }
  } else record.state = 'approved';
  await jobStatus(sb, r, run, entered, 'in_progress', '');
  return { entered, error: null };
}

/** Ends a job in its environment: GitHub writes the deployment's final status from the job's result. */
export async function leaveEnvironment(sb: GitHubSandbox, r: RepoState, run: WorkflowRun, e: EnteredEnvironment, ok: boolean): Promise<void> {
  await jobStatus(sb, r, run, e, ok ? 'success' : 'failure', '');
}
