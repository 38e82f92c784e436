/** Deployments (refused while required contexts are not green) and deployment statuses (`auto_inactive`). */
import type { GitHubSandbox } from '../github-sandbox.js';
import { iso } from '../json/common.js';
import { HttpError } from '../routes/route.js';
import type { Account, AppData, DeploymentState, DeploymentStatusState, RepoState } from '../state.js';

/** The contexts (statuses and check runs on `sha`) of `required` — all of them when absent — that are not green. */
export function failingContexts(r: RepoState, sha: string, required: string[] | undefined): string[] {
  const latest = new Map<string, string>();
  for (const s of r.statuses.filter((x) => x.sha === sha)) latest.set(s.context, s.state);
  for (const c of [...r.checkRuns.values()].filter((x) => x.headSha === sha)) {
    latest.set(c.name, c.status !== 'completed' ? 'pending' : ['success', 'neutral', 'skipped'].includes(c.conclusion ?? '') ? 'success' : 'failure');
  }
  const contexts = required ?? [...latest.keys()];
  return contexts.filter((c) => latest.get(c) !== 'success');
}

/** Creates a deployment as `POST /repos/{owner}/{repo}/deployments` does (emits `deployment.created`). */
export async function createDeployment(sb: GitHubSandbox, r: RepoState, creator: Account, viaApp: AppData | null, b: Record<string, unknown>): Promise<DeploymentState> {
  const ref = String(b.ref);
  const sha = (await r.git.resolve(`refs/heads/${ref}`)) ?? (await r.git.resolve(`refs/tags/${ref}`)) ?? (await r.git.resolve(ref));
  if (!sha) throw new HttpError(422, `No ref found for: ${ref}`);
  const required = Array.isArray(b.required_contexts) ? (b.required_contexts as string[]) : undefined;
  const failing = failingContexts(r, sha, required);
  if (failing.length)
    throw new HttpError(409, `Conflict: Commit status checks failed for ${ref}.`, {
      errors: failing.map((c) => ({ contexts: [{ context: c, state: 'failure' }], resource: 'Deployment', field: 'required_contexts', code: 'invalid' })),
    });
  const environment = typeof b.environment === 'string' ? b.environment : 'production';
  const now = iso();
  const d: DeploymentState = {
    id: sb.nextId() + 40_000_000,
    sha,
    ref,
    task: typeof b.task === 'string' ? b.task : 'deploy',
    environment,
    payload: b.payload === undefined ? {} : typeof b.payload === 'string' ? safeJson(b.payload) : b.payload,
    description: typeof b.description === 'string' ? b.description : null,
    creator,
    viaApp,
    transient: b.transient_environment === true,
    production: typeof b.production_environment === 'boolean' ? b.production_environment : environment === 'production',
    createdAt: now,
    updatedAt: now,
    statuses: [],
  };
  r.deployments.set(d.id, d);
  await sb.emit(r, 'deployment', { action: 'created', deployment: sb.deploymentJson(r, d), workflow: null, workflow_run: null }, d.creator);
  return d;
}

/** Adds a status to a deployment (a `success` marks earlier successful deployments of the environment `inactive` unless `auto_inactive: false`). */
export async function createDeploymentStatus(
  sb: GitHubSandbox,
  r: RepoState,
  d: DeploymentState,
  creator: Account,
  viaApp: AppData | null,
  b: Record<string, unknown>,
): Promise<DeploymentStatusState> {
  const status: DeploymentStatusState = {
    id: sb.nextId() + 50_000_000,
    state: b.state as DeploymentStatusState['state'],
    description: typeof b.description === 'string' ? b.description : '',
    environment: typeof b.environment === 'string' ? b.environment : d.environment,
    targetUrl: typeof b.target_url === 'string' ? b.target_url : typeof b.log_url === 'string' ? b.log_url : '',
    logUrl: typeof b.log_url === 'string' ? b.log_url : typeof b.target_url === 'string' ? b.target_url : '',
    environmentUrl: typeof b.environment_url === 'string' ? b.environment_url : '',
    creator,
    viaApp,
    createdAt: iso(),
  };
  d.statuses.push(status);
  d.updatedAt = status.createdAt;
  if (status.state === 'success' && b.auto_inactive !== false && !d.transient) {
    for (const other of r.deployments.values()) {
      if (other === d || other.environment !== d.environment || other.transient) continue;
      const last = other.statuses[other.statuses.length - 1];
      if (last && last.state === 'success') other.statuses.push({ ...last, id: sb.nextId() + 50_000_000, state: 'inactive', description: 'Superseded', createdAt: iso() });
    }
  }
  await sb.emit(
    r,
    'deployment_status',
    { action: 'created', deployment_status: sb.deploymentStatusJson(r, d, status), deployment: sb.deploymentJson(r, d), check_run: null, workflow: null, workflow_run: null },
    creator,
  );
  return status;
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}
