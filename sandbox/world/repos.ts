/** Repositories (a bare git repository each), forks, collaborators, secrets and the permission and association GitHub reports. */
import { join } from 'node:path';
import type { GitHubSandbox, PersonRef } from '../github-sandbox.js';
import { GitRepo } from '../git/repo.js';
import { iso } from '../json/common.js';
import type { Account, RepoState } from '../state.js';

export function repo(sb: GitHubSandbox, fullName: string): RepoState {
  const r = sb.repos.get(fullName.toLowerCase());
  if (!r) throw new Error(`no sandbox repository ${fullName}`);
  return r;
}

export function findRepo(sb: GitHubSandbox, owner: string, name: string): RepoState | null {
  return sb.repos.get(`${owner}/${name}`.toLowerCase()) ?? null;
}

/** Creates a repository with an initial commit on its default branch, plus `branches` at that commit. */
export async function createRepo(
  sb: GitHubSandbox,
  r: {
    owner: string;
    name: string;
    private?: boolean;
    defaultBranch?: string;
    description?: string;
    files?: Record<string, string>;
    author?: PersonRef;
    branches?: string[];
  },
): Promise<RepoState> {
  const owner = sb.account(r.owner);
  const full = `${owner.login}/${r.name}`.toLowerCase();
  if (sb.repos.has(full)) throw new Error(`repository ${full} exists`);
  const git = await GitRepo.init(join(sb.dir, 'repos', owner.login, `${r.name}.git`));
  const repo = newRepoState(sb, owner, r.name, git, r.private ?? false, r.defaultBranch ?? 'main', r.description ?? null, null);
  sb.repos.set(full, repo);
  sb.installationFor(owner);
  const author = sb.identity(r.author ?? { name: 'Sandbox', email: 'sandbox@sandbox.test' });
  const sha = await git.commitFiles({ parent: null, files: r.files ?? { 'README.md': `# ${r.name}\n` }, message: 'Initial commit', author });
  await git.updateRef(`refs/heads/${repo.defaultBranch}`, sha);
  for (const b of r.branches ?? []) await git.updateRef(`refs/heads/${b}`, sha);
  return repo;
}

export function newRepoState(sb: GitHubSandbox, owner: Account, name: string, git: GitRepo, priv: boolean, defaultBranch: string, description: string | null, forkOf: RepoState | null): RepoState {
  const now = iso();
  return {
    id: sb.nextId(),
    owner,
    name,
    private: priv,
    defaultBranch,
    description,
    createdAt: now,
    pushedAt: now,
    forkOf,
    git,
    collaborators: new Map(),
    secrets: new Map(),
    nextNumber: 1,
    pulls: new Map(),
    issues: new Map(),
    comments: new Map(),
    reviews: new Map(),
    checkRuns: new Map(),
    checkSuites: new Map(),
    statuses: [],
    deployments: new Map(),
    releases: new Map(),
    labels: new Map(),
    protections: new Map(),
    bypasses: [],
    environments: new Map(),
    activity: [],
    signedCommits: new Set(),
  };
}

/** Forks `source` into `owner`'s account (a real git repository sharing its history). */
export async function fork(sb: GitHubSandbox, source: string, owner: string): Promise<RepoState> {
  const src = sb.repo(source);
  const acc = sb.account(owner);
  const git = await GitRepo.fork(src.git, join(sb.dir, 'repos', acc.login, `${src.name}.git`));
  const repo = newRepoState(sb, acc, src.name, git, src.private, src.defaultBranch, src.description, src);
  sb.repos.set(`${acc.login}/${src.name}`.toLowerCase(), repo);
  sb.installationFor(acc);
  return repo;
}

export function addCollaborator(sb: GitHubSandbox, repo: string, login: string, permission: 'admin' | 'maintain' | 'write' | 'triage' | 'read' = 'write'): void {
  sb.account(login);
  sb.repo(repo).collaborators.set(login.toLowerCase(), permission);
}

export function setSecret(sb: GitHubSandbox, repo: string, name: string, value: string): void {
  sb.repo(repo).secrets.set(name, value);
}

/** The permission GitHub reports for `login` on `repo`. */
export function permissionOf(sb: GitHubSandbox, repo: RepoState, login: string): 'admin' | 'write' | 'read' | 'none' {
  const acc = sb.findAccount(login);
  if (!acc) return 'none';
  if (repo.owner.id === acc.id) return 'admin';
  const c = repo.collaborators.get(login.toLowerCase());
  if (c === 'admin') return 'admin';
  if (c === 'maintain' || c === 'write') return 'write';
  if (c === 'triage' || c === 'read') return 'read';
  return repo.private ? 'none' : 'read';
}

/** The `author_association` GitHub reports for `acc` on `r`. */
export function authorAssociation(sb: GitHubSandbox, r: RepoState, acc: Account): string {
  if (r.owner.id === acc.id) return 'OWNER';
  if (r.collaborators.has(acc.login.toLowerCase())) return 'COLLABORATOR';
  for (const t of sb.teams.values()) if (t.org.id === r.owner.id && t.members.get(acc.login.toLowerCase())?.state === 'active') return 'MEMBER';
  return 'NONE';
}
