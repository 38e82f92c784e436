/** A pull request as an `issue`, and `issue-comment`. */
import type { GitHubSandbox } from '../github-sandbox.js';
import type { CommentState, IssueState, PullState, RepoState } from '../state.js';
import { nodeId, reactionRollup } from './common.js';
import { repoApiUrl, repoHtmlUrl } from './repos.js';
import { appJson, userJson } from './users.js';

/** The PR as an `issue`. */
export async function issueJson(sb: GitHubSandbox, r: RepoState, pr: PullState, forWebhook = false): Promise<Record<string, unknown>> {
  const b = sb.bases;
  const url = `${repoApiUrl(b, r)}/issues/${pr.number}`;
  const out: Record<string, unknown> = {
    id: pr.id + 1,
    node_id: nodeId('Issue', pr.id + 1),
    url,
    repository_url: repoApiUrl(b, r),
    labels_url: `${url}/labels{/name}`,
    comments_url: `${url}/comments`,
    events_url: `${url}/events`,
    html_url: `${repoHtmlUrl(b, r)}/pull/${pr.number}`,
    number: pr.number,
    state: pr.state,
    state_reason: null,
    title: pr.title,
    body: pr.body,
    user: userJson(b, pr.user),
    labels: [],
    assignee: null,
    assignees: [],
    milestone: null,
    locked: false,
    active_lock_reason: null,
    comments: [...r.comments.values()].filter((c) => c.issueNumber === pr.number).length,
    pull_request: {
      url: `${repoApiUrl(b, r)}/pulls/${pr.number}`,
      html_url: `${repoHtmlUrl(b, r)}/pull/${pr.number}`,
      diff_url: `${repoHtmlUrl(b, r)}/pull/${pr.number}.diff`,
      patch_url: `${repoHtmlUrl(b, r)}/pull/${pr.number}.patch`,
      merged_at: pr.mergedAt,
    },
    closed_at: pr.closedAt,
    created_at: pr.createdAt,
    updated_at: pr.updatedAt,
    draft: pr.draft,
    author_association: sb.authorAssociation(r, pr.user),
    reactions: reactionRollup(`${url}/reactions`),
    timeline_url: `${url}/timeline`,
    performed_via_github_app: null,
  };
  void forWebhook;
  return out;
}

/** An issue that is not a pull request, as `issue` (REST and webhooks). */
export function plainIssueJson(sb: GitHubSandbox, r: RepoState, i: IssueState): Record<string, unknown> {
  const b = sb.bases;
  const url = `${repoApiUrl(b, r)}/issues/${i.number}`;
  const assignees = i.assignees.map((a) => userJson(b, a));
  return {
    id: i.id,
    node_id: nodeId('Issue', i.id),
    url,
    repository_url: repoApiUrl(b, r),
    labels_url: `${url}/labels{/name}`,
    comments_url: `${url}/comments`,
    events_url: `${url}/events`,
    html_url: `${repoHtmlUrl(b, r)}/issues/${i.number}`,
    number: i.number,
    state: i.state,
    state_reason: i.stateReason,
    title: i.title,
    body: i.body,
    user: userJson(b, i.user),
    labels: [],
    assignee: assignees[0] ?? null,
    assignees,
    milestone: null,
    locked: false,
    active_lock_reason: null,
    comments: [...r.comments.values()].filter((c) => c.issueNumber === i.number).length,
    closed_at: i.closedAt,
    created_at: i.createdAt,
    updated_at: i.updatedAt,
    author_association: sb.authorAssociation(r, i.user),
    reactions: reactionRollup(`${url}/reactions`),
    timeline_url: `${url}/timeline`,
    performed_via_github_app: i.viaApp ? appJson(b, i.viaApp) : null,
  };
}

/** Issue `n` of a repository as GitHub's `issue` (a pull request's issue side, or a plain issue); null when there is none. */
export async function anyIssueJson(sb: GitHubSandbox, r: RepoState, n: number, forWebhook = false): Promise<Record<string, unknown> | null> {
  const pr = r.pulls.get(n);
  if (pr) return issueJson(sb, r, pr, forWebhook);
  const i = r.issues.get(n);
  return i ? plainIssueJson(sb, r, i) : null;
}

export function commentJson(sb: GitHubSandbox, r: RepoState, c: CommentState, forWebhook = false): Record<string, unknown> {
  const b = sb.bases;
  const url = `${repoApiUrl(b, r)}/issues/comments/${c.id}`;
  const counts: Record<string, number> = {};
  for (const x of c.reactions) counts[x.content] = (counts[x.content] ?? 0) + 1;
  const out: Record<string, unknown> = {
    id: c.id,
    node_id: nodeId('IssueComment', c.id),
    url,
    html_url: `${repoHtmlUrl(b, r)}/${r.issues.has(c.issueNumber) ? 'issues' : 'pull'}/${c.issueNumber}#issuecomment-${c.id}`,
    body: c.body,
    user: userJson(b, c.user),
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    issue_url: `${repoApiUrl(b, r)}/issues/${c.issueNumber}`,
    author_association: sb.authorAssociation(r, c.user),
    performed_via_github_app: c.viaApp ? appJson(b, c.viaApp) : null,
    reactions: reactionRollup(`${url}/reactions`, counts),
  };
  void forWebhook;
  return out;
}
