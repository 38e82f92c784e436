/** Builders of GitHub-shaped JSON objects, complete enough to validate against GitHub's OpenAPI schemas. */
import { createHash } from 'node:crypto';

/** Where the sandbox is reachable: the API base (`…/api/v3`) and the web base. */
export interface Bases {
  api: string;
  web: string;
}

/** A user, organization or bot account. */
export interface Account {
  id: number;
  login: string;
  type: 'User' | 'Organization' | 'Bot';
  name: string;
  emails: string[];
  siteAdmin?: boolean;
}

/** The data of a repository the sandbox holds. */
export interface RepoData {
  id: number;
  owner: Account;
  name: string;
  private: boolean;
  defaultBranch: string;
  description: string | null;
  createdAt: string;
  pushedAt: string;
  forkOf: RepoData | null;
}

export function nodeId(kind: string, id: number | string): string {
  return Buffer.from(`0${kind.length}:${kind}${id}`).toString('base64').replace(/=+$/, '');
}

export function iso(d: Date | string = new Date()): string {
  return (typeof d === 'string' ? new Date(d) : d).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `simple-user`. */
export function userJson(b: Bases, a: Account): Record<string, unknown> {
  const u = `${b.api}/users/${a.login}`;
  return {
    login: a.login,
    id: a.id,
    node_id: nodeId(a.type === 'Organization' ? 'Organization' : a.type === 'Bot' ? 'Bot' : 'User', a.id),
    avatar_url: `${b.web}/avatars/u/${a.id}?v=4`,
    gravatar_id: '',
    url: u,
    html_url: a.type === 'Bot' ? `${b.web}/apps/${a.login.replace(/\[bot\]$/, '')}` : `${b.web}/${a.login}`,
    followers_url: `${u}/followers`,
    following_url: `${u}/following{/other_user}`,
    gists_url: `${u}/gists{/gist_id}`,
    starred_url: `${u}/starred{/owner}{/repo}`,
    subscriptions_url: `${u}/subscriptions`,
    organizations_url: `${u}/orgs`,
    repos_url: `${u}/repos`,
    events_url: `${u}/events{/privacy}`,
    received_events_url: `${u}/received_events`,
    type: a.type,
    user_view_type: 'public',
    site_admin: a.siteAdmin ?? false,
  };
}

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

/** The GitHub App as `integration`. */
export interface AppData {
  id: number;
  slug: string;
  name: string;
  owner: Account;
  clientId: string;
  createdAt: string;
  permissions: Record<string, string>;
  events: string[];
}

export function appJson(b: Bases, app: AppData): Record<string, unknown> {
  return {
    id: app.id,
    slug: app.slug,
    node_id: nodeId('Integration', app.id),
    client_id: app.clientId,
    owner: userJson(b, app.owner),
    name: app.name,
    description: `${app.name} (sandbox)`,
    external_url: `${b.web}/apps/${app.slug}`,
    html_url: `${b.web}/apps/${app.slug}`,
    created_at: iso(app.createdAt),
    updated_at: iso(app.createdAt),
    permissions: app.permissions,
    events: app.events,
  };
}

/** A commit read from git, with the accounts its emails map to. */
export interface CommitView {
  sha: string;
  tree: string;
  parents: string[];
  message: string;
  author: { name: string; email: string; date: string };
  committer: { name: string; email: string; date: string };
  authorAccount: Account | null;
  committerAccount: Account | null;
}

/** The `commit.commit` part (git data). */
export function gitCommitPart(b: Bases, r: RepoData, c: CommitView): Record<string, unknown> {
  const url = repoApiUrl(b, r);
  return {
    url: `${url}/git/commits/${c.sha}`,
    author: { ...c.author },
    committer: { ...c.committer },
    message: c.message,
    tree: { sha: c.tree, url: `${url}/git/trees/${c.tree}` },
    comment_count: 0,
    verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
  };
}

/** `commit` (REST commits API), optionally with stats and files. */
export function commitJson(b: Bases, r: RepoData, c: CommitView, files?: Array<Record<string, unknown>>): Record<string, unknown> {
  const url = repoApiUrl(b, r);
  const out: Record<string, unknown> = {
    sha: c.sha,
    node_id: nodeId('Commit', c.sha),
    commit: gitCommitPart(b, r, c),
    url: `${url}/commits/${c.sha}`,
    html_url: `${repoHtmlUrl(b, r)}/commit/${c.sha}`,
    comments_url: `${url}/commits/${c.sha}/comments`,
    author: c.authorAccount ? userJson(b, c.authorAccount) : null,
    committer: c.committerAccount ? userJson(b, c.committerAccount) : null,
    parents: c.parents.map((p) => ({ sha: p, url: `${url}/commits/${p}`, html_url: `${repoHtmlUrl(b, r)}/commit/${p}` })),
  };
  if (files) {
    let additions = 0;
    let deletions = 0;
    for (const f of files) {
      additions += Number(f.additions);
      deletions += Number(f.deletions);
    }
    out.stats = { total: additions + deletions, additions, deletions };
    out.files = files;
  }
  return out;
}

/** `git-commit` (git database API). */
export function gitCommitJson(b: Bases, r: RepoData, c: CommitView): Record<string, unknown> {
  const url = repoApiUrl(b, r);
  return {
    sha: c.sha,
    node_id: nodeId('Commit', c.sha),
    url: `${url}/git/commits/${c.sha}`,
    html_url: `${repoHtmlUrl(b, r)}/commit/${c.sha}`,
    author: { ...c.author },
    committer: { ...c.committer },
    tree: { sha: c.tree, url: `${url}/git/trees/${c.tree}` },
    message: c.message,
    parents: c.parents.map((p) => ({ sha: p, url: `${url}/git/commits/${p}`, html_url: `${repoHtmlUrl(b, r)}/commit/${p}` })),
    verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
  };
}

/** `diff-entry`. */
export function diffEntryJson(
  b: Bases,
  r: RepoData,
  ref: string,
  f: { filename: string; previousFilename?: string; status: string; additions: number; deletions: number; patch: string; blobSha: string },
): Record<string, unknown> {
  const enc = f.filename.split('/').map(encodeURIComponent).join('/');
  const out: Record<string, unknown> = {
    sha: f.blobSha,
    filename: f.filename,
    status: f.status,
    additions: f.additions,
    deletions: f.deletions,
    changes: f.additions + f.deletions,
    blob_url: `${repoHtmlUrl(b, r)}/blob/${ref}/${enc}`,
    raw_url: `${repoHtmlUrl(b, r)}/raw/${ref}/${enc}`,
    contents_url: `${repoApiUrl(b, r)}/contents/${enc}?ref=${ref}`,
  };
  if (f.patch) out.patch = f.patch;
  if (f.previousFilename) out.previous_filename = f.previousFilename;
  return out;
}

export function reactionRollup(url: string, counts: Record<string, number> = {}): Record<string, unknown> {
  const keys = ['+1', '-1', 'laugh', 'confused', 'heart', 'hooray', 'eyes', 'rocket'];
  const out: Record<string, unknown> = { url, total_count: 0 };
  let total = 0;
  for (const k of keys) {
    out[k] = counts[k] ?? 0;
    total += counts[k] ?? 0;
  }
  out.total_count = total;
  return out;
}

export function blobSha(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

/** Base64 with a newline every 60 characters, as the contents API sends it. */
export function githubBase64(content: Buffer): string {
  const s = content.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < s.length; i += 60) lines.push(s.slice(i, i + 60));
  return lines.length ? `${lines.join('\n')}\n` : '';
}
