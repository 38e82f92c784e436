/** A pull request as an `issue`, and `issue-comment`. */
import type { GitHubSandbox } from '../github-sandbox.js';
import type { CommentState, PullState, RepoState } from '../state.js';
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

export function commentJson(sb: GitHubSandbox, r: RepoState, c: CommentState, forWebhook = false): Record<string, unknown> {
  const b = sb.bases;
  const url = `${repoApiUrl(b, r)}/issues/comments/${c.id}`;
  const counts: Record<string, number> = {};
  for (const x of c.reactions) counts[x.content] = (counts[x.content] ?? 0) + 1;
  const out: Record<string, unknown> = {
    id: c.id,
    node_id: nodeId('IssueComment', c.id),
    url,
    html_url: `${repoHtmlUrl(b, r)}/pull/${c.issueNumber}#issuecomment-${c.id}`,
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
