/** `repository` / `full-repository` objects and the repository URLs every other object links to. */
import type { Bases, RepoData } from '../state.js';
import { iso, nodeId } from './common.js';
import { userJson } from './users.js';

const repoUrlTemplates: Array<[string, string]> = [
  ['archive_url', '/{archive_format}{/ref}'],
  ['assignees_url', '/assignees{/user}'],
  ['blobs_url', '/git/blobs{/sha}'],
  ['branches_url', '/branches{/branch}'],
  ['collaborators_url', '/collaborators{/collaborator}'],
  ['comments_url', '/comments{/number}'],
  ['commits_url', '/commits{/sha}'],
  ['compare_url', '/compare/{base}...{head}'],
  ['contents_url', '/contents/{+path}'],
  ['contributors_url', '/contributors'],
  ['deployments_url', '/deployments'],
  ['downloads_url', '/downloads'],
  ['events_url', '/events'],
  ['forks_url', '/forks'],
  ['git_commits_url', '/git/commits{/sha}'],
  ['git_refs_url', '/git/refs{/sha}'],
  ['git_tags_url', '/git/tags{/sha}'],
  ['hooks_url', '/hooks'],
  ['issue_comment_url', '/issues/comments{/number}'],
  ['issue_events_url', '/issues/events{/number}'],
  ['issues_url', '/issues{/number}'],
  ['keys_url', '/keys{/key_id}'],
  ['labels_url', '/labels{/name}'],
  ['languages_url', '/languages'],
  ['merges_url', '/merges'],
  ['milestones_url', '/milestones{/number}'],
  ['notifications_url', '/notifications{?since,all,participating}'],
  ['pulls_url', '/pulls{/number}'],
  ['releases_url', '/releases{/id}'],
  ['stargazers_url', '/stargazers'],
  ['statuses_url', '/statuses/{sha}'],
  ['subscribers_url', '/subscribers'],
  ['subscription_url', '/subscription'],
  ['tags_url', '/tags'],
  ['teams_url', '/teams'],
  ['trees_url', '/git/trees{/sha}'],
];

export function repoApiUrl(b: Bases, r: RepoData): string {
  return `${b.api}/repos/${r.owner.login}/${r.name}`;
}

export function repoHtmlUrl(b: Bases, r: RepoData): string {
  return `${b.web}/${r.owner.login}/${r.name}`;
}

/** `repository` / `minimal-repository`; `full` adds what `full-repository` requires. */
export function repoJson(b: Bases, r: RepoData, opts: { full?: boolean; openIssues?: number; permissions?: Record<string, boolean> } = {}): Record<string, unknown> {
  const url = repoApiUrl(b, r);
  const host = new URL(b.web).host;
  const out: Record<string, unknown> = {
    id: r.id,
    node_id: nodeId('Repository', r.id),
    name: r.name,
    full_name: `${r.owner.login}/${r.name}`,
    private: r.private,
    owner: userJson(b, r.owner),
    html_url: repoHtmlUrl(b, r),
    description: r.description,
    fork: r.forkOf !== null,
    url,
  };
  for (const [k, suffix] of repoUrlTemplates) out[k] = `${url}${suffix}`;
  Object.assign(out, {
    created_at: iso(r.createdAt),
    updated_at: iso(r.pushedAt),
    pushed_at: iso(r.pushedAt),
    git_url: `git://${host}/${r.owner.login}/${r.name}.git`,
    ssh_url: `git@${host}:${r.owner.login}/${r.name}.git`,
    clone_url: `${b.web}/${r.owner.login}/${r.name}.git`,
    svn_url: repoHtmlUrl(b, r),
    homepage: null,
    size: 1,
    stargazers_count: 0,
    watchers_count: 0,
    language: 'TypeScript',
    has_issues: true,
    has_projects: true,
    has_downloads: true,
    has_wiki: true,
    has_pages: false,
    has_discussions: false,
    forks_count: 0,
    mirror_url: null,
    archived: false,
    disabled: false,
    open_issues_count: opts.openIssues ?? 0,
    license: null,
    allow_forking: true,
    is_template: false,
    web_commit_signoff_required: false,
    topics: [],
    visibility: r.private ? 'private' : 'public',
    forks: 0,
    open_issues: opts.openIssues ?? 0,
    watchers: 0,
    default_branch: r.defaultBranch,
  });
  if (opts.permissions) out.permissions = { admin: false, maintain: false, push: false, triage: false, pull: true, ...opts.permissions };
  if (opts.full) {
    Object.assign(out, {
      temp_clone_token: null,
      allow_squash_merge: true,
      allow_merge_commit: true,
      allow_rebase_merge: true,
      allow_auto_merge: false,
      delete_branch_on_merge: false,
      allow_update_branch: false,
      use_squash_pr_title_as_default: false,
      squash_merge_commit_message: 'COMMIT_MESSAGES',
      squash_merge_commit_title: 'COMMIT_OR_PR_TITLE',
      merge_commit_message: 'PR_TITLE',
      merge_commit_title: 'MERGE_MESSAGE',
      network_count: 0,
      subscribers_count: 0,
    });
    if (r.owner.type === 'Organization') out.organization = userJson(b, r.owner);
    if (r.forkOf) {
      out.parent = repoJson(b, r.forkOf);
      out.source = repoJson(b, r.forkOf);
    }
  }
  return out;
}
