/** `pull-request`, `pull-request-simple` and the minimal PR references check runs and suites carry. */
import type { GitHubSandbox } from '../github-sandbox.js';
import type { PullState, RepoState } from '../state.js';
import { nodeId } from './common.js';
import { repoApiUrl, repoHtmlUrl, repoJson } from './repos.js';
import { teamJson } from './teams.js';
import { userJson } from './users.js';
import { mergeBlockers } from '../world/protection.js';

/** `pull-request` (full) or, with `simple`, `pull-request-simple`; `forWebhook` adds webhook-only fields. */
export async function pullJson(sb: GitHubSandbox, r: RepoState, pr: PullState, forWebhook = false, simple = false): Promise<Record<string, unknown>> {
  const b = sb.bases;
  const url = `${repoApiUrl(b, r)}/pulls/${pr.number}`;
  const html = `${repoHtmlUrl(b, r)}/pull/${pr.number}`;
  const issueUrl = `${repoApiUrl(b, r)}/issues/${pr.number}`;
  const baseSha = pr.merged && pr.baseShaAtMerge ? pr.baseShaAtMerge : ((await r.git.branchSha(pr.baseRef)) ?? '');
  const side = (repo: RepoState, ref: string, sha: string): Record<string, unknown> => ({
    label: `${repo.owner.login}:${ref}`,
    ref,
    sha,
    user: userJson(b, repo.owner),
    repo: repoJson(b, repo, forWebhook ? { full: false } : {}),
  });
  const out: Record<string, unknown> = {
    url,
    id: pr.id,
    node_id: nodeId('PullRequest', pr.id),
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: issueUrl,
    number: pr.number,
    state: pr.state,
    locked: false,
    title: pr.title,
    user: userJson(b, pr.user),
    body: pr.body,
    created_at: pr.createdAt,
    updated_at: pr.updatedAt,
    closed_at: pr.closedAt,
    merged_at: pr.mergedAt,
    merge_commit_sha: pr.mergeCommitSha,
    assignee: null,
    assignees: [],
    requested_reviewers: pr.requestedReviewers.map((u) => userJson(b, u)),
    requested_teams: pr.requestedTeams.map((t) => teamJson(b, t)),
    labels: pr.labels.map((name) => {
      const l = r.labels.get(name.toLowerCase());
      const id = l?.id ?? 0;
      return { id, node_id: nodeId('Label', id), url: `${repoApiUrl(b, r)}/labels/${encodeURIComponent(name)}`, name, description: l?.description ?? '', color: l?.color ?? 'ededed', default: false };
    }),
    milestone: null,
    draft: pr.draft,
    commits_url: `${url}/commits`,
    review_comments_url: `${url}/comments`,
    review_comment_url: `${repoApiUrl(b, r)}/pulls/comments{/number}`,
    comments_url: `${issueUrl}/comments`,
    statuses_url: `${repoApiUrl(b, r)}/statuses/${pr.headSha}`,
    head: side(pr.headRepo, pr.headRef, pr.headSha),
    base: side(r, pr.baseRef, baseSha),
    _links: {
      self: { href: url },
      html: { href: html },
      issue: { href: issueUrl },
      comments: { href: `${issueUrl}/comments` },
      review_comments: { href: `${url}/comments` },
      review_comment: { href: `${repoApiUrl(b, r)}/pulls/comments{/number}` },
      commits: { href: `${url}/commits` },
      statuses: { href: `${repoApiUrl(b, r)}/statuses/${pr.headSha}` },
    },
    author_association: sb.authorAssociation(r, pr.user),
    auto_merge: null,
    active_lock_reason: null,
  };
  if (simple) return out;
  const range = await r.git.revList(pr.merged ? pr.baseShaAtMerge : baseSha, pr.headSha);
  const mergeBase = baseSha ? await r.git.mergeBase(baseSha, pr.headSha) : null;
  const files = await r.git.diff(mergeBase, pr.headSha);
  let mergeable: boolean | null = null;
  if (pr.state === 'open' && baseSha) mergeable = (await r.git.mergeTree(baseSha, pr.headSha)) !== null;
  Object.assign(out, {
    merged: pr.merged,
    mergeable,
    rebaseable: mergeable,
    mergeable_state: pr.state !== 'open' ? 'unknown' : !mergeable ? 'dirty' : (await mergeBlockers(sb, r, pr, null)).length ? 'blocked' : 'clean',
    merged_by: pr.mergedBy ? userJson(b, pr.mergedBy) : null,
    comments: [...r.comments.values()].filter((c) => c.issueNumber === pr.number).length,
    review_comments: 0,
    maintainer_can_modify: pr.maintainerCanModify,
    commits: range.length,
    additions: files.reduce((n, f) => n + f.additions, 0),
    deletions: files.reduce((n, f) => n + f.deletions, 0),
    changed_files: files.length,
  });
  if (forWebhook) {
    Object.assign(out, {
      allow_auto_merge: false,
      allow_update_branch: false,
      delete_branch_on_merge: false,
      merge_commit_message: 'PR_TITLE',
      merge_commit_title: 'MERGE_MESSAGE',
      squash_merge_commit_message: 'COMMIT_MESSAGES',
      squash_merge_commit_title: 'COMMIT_OR_PR_TITLE',
      use_squash_pr_title_as_default: false,
    });
  }
  return out;
}

/** Minimal PR references (as check runs and suites carry) of open PRs headed at `sha`. */
export async function pullRefsFor(sb: GitHubSandbox, r: RepoState, sha: string): Promise<Array<Record<string, unknown>>> {
  const b = sb.bases;
  const out: Array<Record<string, unknown>> = [];
  for (const pr of r.pulls.values()) {
    if (pr.state !== 'open' || pr.headSha !== sha || pr.headRepo !== r) continue;
    const baseSha = (await r.git.branchSha(pr.baseRef)) ?? '';
    const mini = (repo: RepoState): Record<string, unknown> => ({ id: repo.id, url: repoApiUrl(b, repo), name: repo.name });
    out.push({
      id: pr.id,
      number: pr.number,
      url: `${repoApiUrl(b, r)}/pulls/${pr.number}`,
      head: { ref: pr.headRef, sha: pr.headSha, repo: mini(pr.headRepo) },
      base: { ref: pr.baseRef, sha: baseSha, repo: mini(r) },
    });
  }
  return out;
}
