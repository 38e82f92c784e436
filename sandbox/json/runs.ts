/** `workflow-run` objects (REST and the `workflow_run` webhook). */
import type { GitHubSandbox } from '../github-sandbox.js';
import type { WorkflowRun } from '../runner/types.js';
import type { RepoState } from '../state.js';
import { nodeId } from './common.js';
import { repoApiUrl, repoHtmlUrl, repoJson } from './repos.js';
import { userJson } from './users.js';
import { workflowIdOf } from '../runner/dispatch.js';

/** The run as `GET /repos/{owner}/{repo}/actions/runs/{run_id}` returns it. */
export async function workflowRunJson(sb: GitHubSandbox, r: RepoState, run: WorkflowRun): Promise<Record<string, unknown>> {
  const b = sb.bases;
  const api = `${repoApiUrl(b, r)}/actions/runs/${run.id}`;
  const c = await sb.commitView(r, run.headSha);
  const actor = sb.findAccount(run.actor) ?? r.owner;
  const workflowId = workflowIdOf(run.workflowPath);
  const updated = run.completedAt ?? run.updatedAt ?? run.createdAt;
  return {
    id: run.id,
    name: run.workflowName,
    node_id: nodeId('WorkflowRun', run.id),
    check_suite_id: run.id + 1,
    check_suite_node_id: nodeId('CheckSuite', run.id + 1),
    head_branch: run.ref.replace(/^refs\/heads\//, ''),
    head_sha: run.headSha,
    path: run.workflowPath,
    display_title: run.displayTitle,
    run_number: run.runNumber,
    run_attempt: 1,
    event: run.event,
    status: run.status,
    conclusion: run.conclusion,
    workflow_id: workflowId,
    url: api,
    html_url: `${repoHtmlUrl(b, r)}/actions/runs/${run.id}`,
    pull_requests: [],
    created_at: run.createdAt,
    updated_at: updated,
    run_started_at: run.createdAt,
    actor: userJson(b, actor),
    triggering_actor: userJson(b, actor),
    jobs_url: `${api}/jobs`,
    logs_url: `${api}/logs`,
    check_suite_url: `${repoApiUrl(b, r)}/check-suites/${run.id + 1}`,
    artifacts_url: `${api}/artifacts`,
    cancel_url: `${api}/cancel`,
    rerun_url: `${api}/rerun`,
    previous_attempt_url: null,
    workflow_url: `${repoApiUrl(b, r)}/actions/workflows/${workflowId}`,
    head_commit: {
      id: c.sha,
      tree_id: c.tree,
      message: c.message,
      timestamp: c.committer.date,
      author: { name: c.author.name, email: c.author.email },
      committer: { name: c.committer.name, email: c.committer.email },
    },
    repository: repoJson(b, r),
    head_repository: repoJson(b, r),
  };
}

/** The `workflow` object of a `workflow_run` webhook. */
export function workflowJson(sb: GitHubSandbox, r: RepoState, run: WorkflowRun): Record<string, unknown> {
  const id = workflowIdOf(run.workflowPath);
  return {
    id,
    node_id: nodeId('Workflow', id),
    name: run.workflowName,
    path: run.workflowPath,
    state: 'active',
    created_at: r.createdAt,
    updated_at: r.createdAt,
    url: `${repoApiUrl(sb.bases, r)}/actions/workflows/${id}`,
    html_url: `${repoHtmlUrl(sb.bases, r)}/blob/${r.defaultBranch}/${run.workflowPath}`,
    badge_url: `${repoHtmlUrl(sb.bases, r)}/workflows/${encodeURIComponent(run.workflowName)}/badge.svg`,
  };
}
