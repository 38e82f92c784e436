/** `deployment` and `deployment-status`. */
import type { GitHubSandbox } from '../github-sandbox.js';
import type { DeploymentState, DeploymentStatusState, RepoState } from '../state.js';
import { nodeId } from './common.js';
import { repoApiUrl } from './repos.js';
import { appJson, userJson } from './users.js';

export function deploymentJson(sb: GitHubSandbox, r: RepoState, d: DeploymentState): Record<string, unknown> {
  const b = sb.bases;
  const url = `${repoApiUrl(b, r)}/deployments/${d.id}`;
  return {
    url,
    id: d.id,
    node_id: nodeId('Deployment', d.id),
    sha: d.sha,
    ref: d.ref,
    task: d.task,
    payload: d.payload,
    original_environment: d.environment,
    environment: d.environment,
    description: d.description,
    creator: userJson(b, d.creator),
    created_at: d.createdAt,
    updated_at: d.updatedAt,
    statuses_url: `${url}/statuses`,
    repository_url: repoApiUrl(b, r),
    transient_environment: d.transient,
    production_environment: d.production,
    performed_via_github_app: d.viaApp ? appJson(b, d.viaApp) : null,
  };
}

export function deploymentStatusJson(sb: GitHubSandbox, r: RepoState, d: DeploymentState, s: DeploymentStatusState): Record<string, unknown> {
  const b = sb.bases;
  const url = `${repoApiUrl(b, r)}/deployments/${d.id}`;
  return {
    url: `${url}/statuses/${s.id}`,
    id: s.id,
    node_id: nodeId('DeploymentStatus', s.id),
    state: s.state,
    creator: userJson(b, s.creator),
    description: s.description,
    environment: s.environment,
    target_url: s.targetUrl,
    log_url: s.logUrl,
    environment_url: s.environmentUrl,
    created_at: s.createdAt,
    updated_at: s.createdAt,
    deployment_url: url,
    repository_url: repoApiUrl(b, r),
    performed_via_github_app: s.viaApp ? appJson(b, s.viaApp) : null,
  };
}
