import type { AuditEventInput } from '../src/audit/types.js';
import type { GitHubRequester } from '../src/github/client.js';
import type { PromotionPayload } from '../src/protocol/deployment-payload.js';
import { dispatchInputs } from '../src/protocol/dispatch.js';
import type { AppDeps } from './deps.js';

/** Fields every audit record of one deployment shares (repository, promotion range, time). */
export type DeploymentCommon = Omit<AuditEventInput, 'key' | 'stage' | 'actor' | 'kind' | 'details'>;

/** What starting a deployment needs: where, what, under which payload, and what its records say. */
export interface DispatchRequest {
  client: GitHubRequester;
  owner: string;
  repo: string;
  stage: string;
  /** The commit deployed (a merge commit the gate approved). */
  sha: string;
  pullRequest: number;
  payload: PromotionPayload;
  production: boolean;
  /** The deploy workflow file and the ref it runs on. */
  workflow: string;
  ref: string;
  description: string;
  common: DeploymentCommon;
  /** Who caused it (the merger, or the commenter of a command). */
  actor: string | null;
  /** Extra details of the `deployment.created` record (the merge decision's evidence, or the command). */
  createdDetails: Record<string, unknown>;
}

/** The key of a deployment's dispatch record. */
export function dispatchKey(repository: string, id: number, outcome: 'dispatched' | 'dispatch-failed'): string {
  return `deployment:${repository}:${id}:${outcome}`;
}

/** Creates one GitHub Deployment of `r.sha` in the stage's environment, the audit chain's head in its payload. */
export async function createDeployment(deps: AppDeps, r: Pick<DispatchRequest, 'client' | 'owner' | 'repo' | 'stage' | 'sha' | 'payload' | 'production' | 'description'>): Promise<number> {
  const repository = `${r.owner}/${r.repo}`;
  const anchor = await deps.store.head(repository);
  const created = await r.client.request('POST /repos/{owner}/{repo}/deployments', {
    owner: r.owner,
    repo: r.repo,
    ref: r.sha,
    environment: r.stage,
    task: 'deploy',
    auto_merge: false,
    required_contexts: [],
    // The audit chain head goes with the deployment: an anchor the database owner cannot rewrite.
    payload: { ...r.payload, ...(anchor ? { audit_anchor: { seq: anchor.seq, hash: anchor.hash } } : {}) },
    description: r.description.slice(0, 140),
    production_environment: r.production,
    transient_environment: false,
  });
  return (created.data as { id: number }).id;
}

/** How starting a created deployment went. */
export type DispatchOutcome = { kind: 'dispatched' } | { kind: 'failed'; error: string };

/**
 * The one dispatch path of a created deployment (a merge's, a `deploy` retry's, a `rollback`'s):
 * record `deployment.created` (durable before anything runs; if it cannot be recorded nothing is
 * dispatched), set `queued`, dispatch the deploy workflow with the deployment's inputs, and record
 * the dispatch (or its failure, with an `error` status on the deployment).
 */
export async function dispatchDeployment(deps: AppDeps, r: DispatchRequest, deploymentId: number): Promise<DispatchOutcome> {
  const { client, owner, repo } = r;
  const repository = `${owner}/${repo}`;
  const setStatus = (state: 'queued' | 'error', description: string) =>
    client.request('POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', { owner, repo, deployment_id: deploymentId, state, description: description.slice(0, 140) });
  try {
    await deps.store.append({
      ...r.common,
      key: `deployment:${repository}:${deploymentId}:created`,
      stage: r.stage,
      actor: r.actor,
      kind: 'deployment.created',
      details: { deploymentId, environment: r.stage, sha: r.sha, ...r.createdDetails },
    });
  } catch (err) {
    const error = `the audit trail could not record the deployment (${(err as Error).message}); nothing was dispatched`;
    await setStatus('error', error);
    return { kind: 'failed', error };
  }
  const inputs = dispatchInputs({ environment: r.stage, sha: r.sha, deploymentId, pullRequest: r.pullRequest });
  // `queued` goes first: a fast runner's `in_progress`/`success` must never be followed by it.
  await setStatus('queued', `dispatching ${r.workflow}`);
  try {
    await client.request('POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches', { owner, repo, workflow_id: r.workflow, ref: r.ref, inputs });
  } catch (err) {
    const error = `${(err as Error).message}`;
    await setStatus('error', `dispatch of ${r.workflow} failed: ${error}`);
    await deps.store.append({
      ...r.common,
      key: dispatchKey(repository, deploymentId, 'dispatch-failed'),
      stage: r.stage,
      actor: null,
      kind: 'deployment.dispatched',
      details: { deploymentId, workflow: r.workflow, ref: r.ref, inputs, error },
    });
    return { kind: 'failed', error };
  }
  await deps.store.append({
    ...r.common,
    key: dispatchKey(repository, deploymentId, 'dispatched'),
    stage: r.stage,
    actor: null,
    kind: 'deployment.dispatched',
    details: { deploymentId, workflow: r.workflow, ref: r.ref, inputs },
  });
  return { kind: 'dispatched' };
}
