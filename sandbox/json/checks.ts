/** `check-run` and `check-suite`. */
import type { GitHubSandbox } from '../github-sandbox.js';
import type { CheckRunState, CheckSuiteState, RepoState } from '../state.js';
import { nodeId } from './common.js';
import { repoApiUrl, repoHtmlUrl, repoJson } from './repos.js';
import { appJson } from './users.js';

export async function checkSuiteJson(sb: GitHubSandbox, r: RepoState, s: CheckSuiteState, forWebhook = false): Promise<Record<string, unknown>> {
  const b = sb.bases;
  const runs = [...r.checkRuns.values()].filter((x) => x.suiteId === s.id);
  const done = runs.every((x) => x.status === 'completed');
  const order = ['action_required', 'cancelled', 'timed_out', 'failure', 'stale', 'neutral', 'skipped', 'success'];
  let conclusion: string | null = null;
  if (done && runs.length) conclusion = order.find((c) => runs.some((x) => x.conclusion === c)) ?? 'success';
  const head = await sb.commitView(r, s.headSha);
  const out: Record<string, unknown> = {
    id: s.id,
    node_id: nodeId('CheckSuite', s.id),
    head_branch: s.headBranch,
    head_sha: s.headSha,
    status: done ? 'completed' : 'in_progress',
    conclusion,
    url: `${repoApiUrl(b, r)}/check-suites/${s.id}`,
    before: head.parents[0] ?? null,
    after: s.headSha,
    pull_requests: await sb.pullRefsFor(r, s.headSha),
    app: appJson(b, s.app),
    created_at: s.createdAt,
    updated_at: s.updatedAt,
    latest_check_runs_count: runs.length,
    check_runs_url: `${repoApiUrl(b, r)}/check-suites/${s.id}/check-runs`,
    head_commit: {
      id: head.sha,
      tree_id: head.tree,
      message: head.message,
      timestamp: head.committer.date,
      author: { name: head.author.name, email: head.author.email },
      committer: { name: head.committer.name, email: head.committer.email },
    },
    rerequestable: true,
    runs_rerequestable: true,
  };
  if (!forWebhook) out.repository = repoJson(b, r);
  return out;
}

export async function checkRunJson(sb: GitHubSandbox, r: RepoState, c: CheckRunState, forWebhook = false): Promise<Record<string, unknown>> {
  const b = sb.bases;
  const url = `${repoApiUrl(b, r)}/check-runs/${c.id}`;
  const suite = r.checkSuites.get(c.suiteId);
  const out: Record<string, unknown> = {
    id: c.id,
    node_id: nodeId('CheckRun', c.id),
    head_sha: c.headSha,
    external_id: c.externalId ?? '',
    url,
    html_url: `${repoHtmlUrl(b, r)}/runs/${c.id}`,
    details_url: c.detailsUrl ?? `${repoHtmlUrl(b, r)}/runs/${c.id}`,
    status: c.status,
    conclusion: c.conclusion,
    started_at: c.startedAt,
    completed_at: c.completedAt,
    output: { title: c.output.title, summary: c.output.summary, text: c.output.text, annotations_count: c.output.annotationsCount, annotations_url: `${url}/annotations` },
    name: c.name,
    check_suite: forWebhook && suite ? await sb.checkSuiteJson(r, suite, true) : { id: c.suiteId },
    app: appJson(b, c.app),
    pull_requests: await sb.pullRefsFor(r, c.headSha),
  };
  return out;
}
