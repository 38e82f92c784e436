import type { GitHubRequester } from '../src/github/client.js';
import { parseRunName } from '../src/protocol/dispatch.js';
import { decisiveStatus, type VerificationVerdict } from '../src/protocol/evidence.js';
import type { AppDeps } from './deps.js';
import { deploymentStatusRecords, judgeDeployment, type DeploymentStatusEvent } from './deployment-status.js';

/** A completed run, as the `workflow_run` webhook gives it. */
export interface CompletedRun {
  id: number;
  displayTitle: string;
  path: string;
}

type ApiDeployment = DeploymentStatusEvent['deployment'] & { created_at: string };
type ApiStatus = DeploymentStatusEvent['status'];

/**
 * A deploy run completed: the verification of its deployment becomes final only now (a success
 * counts only once the run that produced it concluded `success`). Records the verdict of each
 * deployment the run is bound to (by its run name) and returns their environments, whose
 * dependants (`verified_in`) are then evaluated again.
 */
export async function settleRun(
  deps: AppDeps,
  client: GitHubRequester,
  repo: { owner: string; repo: string },
  run: CompletedRun,
): Promise<{ environments: string[]; recorded: number; verified: { deployment: ApiDeployment; verdict: VerificationVerdict }[] }> {
  const named = parseRunName(run.displayTitle);
  if (!named) return { environments: [], recorded: 0, verified: [] };
  const repository = `${repo.owner}/${repo.repo}`;
  let candidates: ApiDeployment[];
  if (named.deploymentId !== null) {
    try {
      candidates = [(await client.request('GET /repos/{owner}/{repo}/deployments/{deployment_id}', { ...repo, deployment_id: named.deploymentId })).data as ApiDeployment];
    } catch {
      candidates = [];
    }
  } else {
    candidates = (await client.request('GET /repos/{owner}/{repo}/deployments', { ...repo, sha: named.sha, environment: named.environment, per_page: 30 })).data as ApiDeployment[];
  }
  let recorded = 0;
  const environments = new Set<string>();
  const verified: { deployment: ApiDeployment; verdict: VerificationVerdict }[] = [];
  for (const d of candidates) {
    const verdict = await judgeDeployment(deps, client, { repository, deployment: d });
    if (verdict.kind === 'pending') continue;
    if (verdict.kind === 'verified') verified.push({ deployment: d, verdict });
    const statuses = (await client.request('GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', { ...repo, deployment_id: d.id, per_page: 100 })).data as ApiStatus[];
    const decisive = decisiveStatus(
      statuses.map((s) => ({
        id: s.id,
        state: s.state,
        description: s.description,
        logUrl: s.log_url ?? null,
        targetUrl: s.target_url ?? null,
        createdAt: s.created_at,
        creator: s.creator?.login ?? null,
        performedViaApp: null,
      })),
    );
    const status = statuses.find((s) => s.id === decisive?.id);
    if (!status) continue;
    environments.add(d.environment);
    for (const r of deploymentStatusRecords({ repository, deployment: d, status }, verdict)) if ((await deps.store.append(r)).appended) recorded++;
  }
  return { environments: [...environments], recorded, verified };
}
