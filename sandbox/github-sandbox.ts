import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { generateKeyPairSync, randomBytes, createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { githubContract } from './github-openapi.js';
import { GitRepo, type GitIdentity } from './git-store.js';
import { webhookContract } from './webhook-contract.js';
import { deliveryHeaders, newDeliveryId, postDelivery, type Delivery } from './webhook-sender.js';
import { appJson, commitJson, iso, nodeId, reactionRollup, repoApiUrl, repoHtmlUrl, repoJson, userJson, type Account, type AppData, type Bases, type CommitView } from './objects.js';
import type { Actor, CheckRunState, CheckSuiteState, CommentState, DeploymentState, DeploymentStatusState, PullState, ReleaseState, RepoState, ReviewState, StatusState, TeamState } from './state.js';
import { dispatchRoute, HttpError, matchRoute, type RouteResult } from './routes.js';
import { WorkflowRunner, type ActionEntry, type WorkflowRun } from './workflow-runner.js';

/** A request GitHub would reject, an invalid response the sandbox served, or an invalid webhook payload. */
export interface ContractViolation {
  kind: 'request' | 'response' | 'webhook' | 'unimplemented';
  method?: string;
  path?: string;
  operationId: string | null;
  status?: number;
  errors: string[];
}

/** Options of {@link GitHubSandbox.start}. */
export interface SandboxOptions {
  /** Where the git repositories live; a fresh temp dir when absent (removed on stop). */
  dataDir?: string;
  /** The app's webhook URL; webhooks are recorded but not sent while unset. */
  webhookUrl?: string;
  webhookSecret?: string;
  app?: { id?: number; slug?: string; name?: string };
  /** Milliseconds a webhook receiver may take (default 30 s). */
  deliveryTimeoutMs?: number;
  /** Send deliveries one at a time in order (default: concurrently, as GitHub does). */
  orderedDeliveries?: boolean;
  /** Extra environment for workflow runs (e.g. PATH additions). */
  runnerEnv?: Record<string, string>;
}

/** An author or committer: a sandbox user's login, or a raw git identity. */
export type PersonRef = string | { name: string; email: string };

/** Stands in for github.com over real HTTP on 127.0.0.1, backed by real git repositories. */
export class GitHubSandbox {
  readonly violations: ContractViolation[] = [];
  readonly deliveries: Delivery[] = [];
  readonly events = new EventEmitter();
  readonly accounts = new Map<string, Account>();
  readonly repos = new Map<string, RepoState>();
  readonly teams = new Map<string, TeamState>();
  readonly app: AppData & { privateKey: string; publicKey: KeyObject; webhookSecret: string };
  readonly actionsApp: AppData;
  readonly ciApp: AppData;
  readonly installations = new Map<number, { id: number; account: Account; createdAt: string }>();
  readonly tokens = new Map<string, { actor: Actor; expiresAt: number }>();
  readonly runner: WorkflowRunner;
  webhookUrl: string | null;
  bases: Bases = { api: '', web: '' };
  port = 0;

  private server: Server | null = null;
  private dataDir = '';
  private ownsDataDir = false;
  private ids = 1000;
  private queue: Promise<void> = Promise.resolve();
  private readonly stopping = new AbortController();
  private pendingDeliveries = 0;
  private inflight = 0;
  private hookId = 4242;
  private readonly opts: SandboxOptions;

  private constructor(opts: SandboxOptions) {
    this.opts = opts;
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const owner = this.addAccount({ login: 'sandbox-apps', type: 'Organization', name: 'Sandbox Apps' });
    const appId = opts.app?.id ?? 1001;
    const slug = opts.app?.slug ?? 'stagegate';
    this.app = {
      id: appId,
      slug,
      name: opts.app?.name ?? 'Stagegate',
      owner,
      clientId: `Iv1.${randomBytes(8).toString('hex')}`,
      createdAt: iso(),
      permissions: { checks: 'write', contents: 'write', deployments: 'write', pull_requests: 'write', issues: 'write', statuses: 'write', actions: 'write', members: 'read', metadata: 'read' },
      events: ['pull_request', 'pull_request_review', 'check_run', 'check_suite', 'status', 'deployment', 'deployment_status', 'issue_comment', 'workflow_run'],
      privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
      publicKey: createPublicKey(privateKey),
      webhookSecret: opts.webhookSecret ?? randomBytes(16).toString('hex'),
    };
    void publicKey;
    this.addAccount({ login: `${slug}[bot]`, type: 'Bot', name: this.app.name });
    const gh = this.addAccount({ login: 'github', type: 'Organization', name: 'GitHub' });
    this.actionsApp = {
      id: 15368,
      slug: 'github-actions',
      name: 'GitHub Actions',
      owner: gh,
      clientId: 'Iv1.actions',
      createdAt: iso(),
      permissions: { contents: 'write', deployments: 'write', checks: 'write', statuses: 'write', pull_requests: 'write', issues: 'write' },
      events: [],
    };
    this.addAccount({ login: 'github-actions[bot]', type: 'Bot', name: 'GitHub Actions', emails: ['41898282+github-actions[bot]@users.noreply.github.com'] });
    this.ciApp = { id: 2002, slug: 'sandbox-ci', name: 'Sandbox CI', owner: gh, clientId: 'Iv1.ci', createdAt: iso(), permissions: { checks: 'write', statuses: 'write' }, events: [] };
    this.addAccount({ login: 'sandbox-ci[bot]', type: 'Bot', name: 'Sandbox CI' });
    this.addAccount({ login: 'web-flow', type: 'User', name: 'GitHub', emails: ['noreply@github.com'] });
    this.webhookUrl = opts.webhookUrl ?? null;
    this.runner = new WorkflowRunner(this, opts.runnerEnv ?? {});
  }

  /** Starts the HTTP server on 127.0.0.1 (random free port). */
  static async start(opts: SandboxOptions = {}): Promise<GitHubSandbox> {
    const sb = new GitHubSandbox(opts);
    githubContract();
    webhookContract();
    if (opts.dataDir) sb.dataDir = opts.dataDir;
    else {
      sb.dataDir = await mkdtemp(join(tmpdir(), 'gh-sandbox-'));
      sb.ownsDataDir = true;
    }
    sb.server = createServer((req, res) => void sb.handle(req, res));
    sb.server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => sb.server?.listen(0, '127.0.0.1', resolve));
    sb.port = (sb.server.address() as AddressInfo).port;
    sb.bases = { api: `http://127.0.0.1:${sb.port}/api/v3`, web: `http://127.0.0.1:${sb.port}` };
    return sb;
  }

  /** `http://127.0.0.1:<port>` (`GHE_HOST` is its host part). */
  get url(): string {
    return this.bases.web;
  }

  get apiUrl(): string {
    return this.bases.api;
  }

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  get dir(): string {
    return this.dataDir;
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.runner.stopAll();
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
    if (this.ownsDataDir) await rm(this.dataDir, { recursive: true, force: true });
  }

  nextId(): number {
    return ++this.ids;
  }

  // ---------------------------------------------------------------- accounts

  private addAccount(a: { login: string; type: Account['type']; name?: string; emails?: string[] }): Account {
    if (this.accounts.has(a.login.toLowerCase())) throw new Error(`account ${a.login} already exists`);
    const acc: Account = { id: this.nextId(), login: a.login, type: a.type, name: a.name ?? a.login, emails: a.emails ?? [] };
    if (a.type !== 'Organization') acc.emails.push(`${acc.id}+${acc.login}@users.noreply.github.com`);
    this.accounts.set(a.login.toLowerCase(), acc);
    return acc;
  }

  /** Creates a user; `emails` are matched against commit author/committer emails. */
  createUser(u: { login: string; name?: string; email?: string; emails?: string[] }): Account & { token: string; email: string } {
    const emails = [...(u.email ? [u.email] : []), ...(u.emails ?? [])];
    if (emails.length === 0) emails.push(`${u.login}@users.sandbox.test`);
    const acc = this.addAccount({ login: u.login, type: 'User', name: u.name ?? u.login, emails });
    const token = `ghp_${randomBytes(18).toString('hex')}`;
    this.tokens.set(token, { actor: { kind: 'user', account: acc }, expiresAt: Number.POSITIVE_INFINITY });
    return Object.assign(acc, { token, email: emails[0] ?? '' });
  }

  createOrg(o: { login: string; name?: string }): Account {
    return this.addAccount({ login: o.login, type: 'Organization', name: o.name ?? o.login });
  }

  /** Creates a team; members default to active `member`s. */
  createTeam(org: string, t: { slug: string; name?: string; members?: Record<string, { role?: 'member' | 'maintainer'; state?: 'active' | 'pending' }> | string[] }): TeamState {
    const o = this.account(org);
    if (o.type !== 'Organization') throw new Error(`${org} is not an organization`);
    const team: TeamState = { id: this.nextId(), org: o, slug: t.slug, name: t.name ?? t.slug, members: new Map() };
    type M = { role?: 'member' | 'maintainer'; state?: 'active' | 'pending' };
    const members: Record<string, M> = Array.isArray(t.members) ? Object.fromEntries(t.members.map((m): [string, M] => [m, {}])) : (t.members ?? {});
    for (const [login, m] of Object.entries(members)) {
      this.account(login);
      team.members.set(login.toLowerCase(), { role: m.role ?? 'member', state: m.state ?? 'active' });
    }
    this.teams.set(`${o.login.toLowerCase()}/${t.slug.toLowerCase()}`, team);
    return team;
  }

  setTeamMembership(org: string, slug: string, login: string, m: { role?: 'member' | 'maintainer'; state?: 'active' | 'pending' } | null): void {
    const team = this.teams.get(`${org.toLowerCase()}/${slug.toLowerCase()}`);
    if (!team) throw new Error(`no team ${org}/${slug}`);
    if (m === null) team.members.delete(login.toLowerCase());
    else team.members.set(login.toLowerCase(), { role: m.role ?? 'member', state: m.state ?? 'active' });
  }

  account(login: string): Account {
    const a = this.accounts.get(login.toLowerCase());
    if (!a) throw new Error(`no sandbox account ${login}`);
    return a;
  }

  findAccount(login: string): Account | null {
    return this.accounts.get(login.toLowerCase()) ?? null;
  }

  /** The user whose emails include `email` (GitHub's commit attribution), else null. */
  accountByEmail(email: string): Account | null {
    const e = email.toLowerCase();
    for (const a of this.accounts.values()) if (a.emails.some((x) => x.toLowerCase() === e)) return a;
    return null;
  }

  /** A token acting as `login` (a personal access token). */
  tokenFor(login: string): string {
    const acc = this.account(login);
    for (const [t, v] of this.tokens) if (v.actor.kind === 'user' && v.actor.account.id === acc.id) return t;
    const token = `ghp_${randomBytes(18).toString('hex')}`;
    this.tokens.set(token, { actor: { kind: 'user', account: acc }, expiresAt: Number.POSITIVE_INFINITY });
    return token;
  }

  /** The installation of the app on `owner` (created on first use). */
  installationFor(owner: Account): { id: number; account: Account; createdAt: string } {
    for (const i of this.installations.values()) if (i.account.id === owner.id) return i;
    const inst = { id: this.nextId() + 50000, account: owner, createdAt: iso() };
    this.installations.set(inst.id, inst);
    return inst;
  }

  /** Issues an installation token (as `POST /app/installations/{id}/access_tokens` does). */
  issueInstallationToken(installationId: number, app: AppData = this.app): { token: string; expiresAt: string } {
    const token = `ghs_${randomBytes(18).toString('hex')}`;
    const expires = Date.now() + 3600_000;
    const bot = this.account(`${app.slug}[bot]`);
    this.tokens.set(token, { actor: { kind: 'installation', app, installationId, bot }, expiresAt: expires });
    return { token, expiresAt: iso(new Date(expires)) };
  }

  identity(p: PersonRef): GitIdentity & { account: Account | null } {
    if (typeof p === 'string') {
      const a = this.account(p);
      return { name: a.name, email: a.emails[0] ?? `${a.login}@users.sandbox.test`, account: a };
    }
    return { ...p, account: this.accountByEmail(p.email) };
  }

  // ---------------------------------------------------------------- repositories

  repo(fullName: string): RepoState {
    const r = this.repos.get(fullName.toLowerCase());
    if (!r) throw new Error(`no sandbox repository ${fullName}`);
    return r;
  }

  findRepo(owner: string, name: string): RepoState | null {
    return this.repos.get(`${owner}/${name}`.toLowerCase()) ?? null;
  }

  /** Creates a repository with an initial commit on its default branch, plus `branches` at that commit. */
  async createRepo(r: {
    owner: string;
    name: string;
    private?: boolean;
    defaultBranch?: string;
    description?: string;
    files?: Record<string, string>;
    author?: PersonRef;
    branches?: string[];
  }): Promise<RepoState> {
    const owner = this.account(r.owner);
    const full = `${owner.login}/${r.name}`.toLowerCase();
    if (this.repos.has(full)) throw new Error(`repository ${full} exists`);
    const git = await GitRepo.init(join(this.dataDir, 'repos', owner.login, `${r.name}.git`));
    const repo = this.newRepoState(owner, r.name, git, r.private ?? false, r.defaultBranch ?? 'main', r.description ?? null, null);
    this.repos.set(full, repo);
    this.installationFor(owner);
    const author = this.identity(r.author ?? { name: 'Sandbox', email: 'sandbox@sandbox.test' });
    const sha = await git.commitFiles({ parent: null, files: r.files ?? { 'README.md': `# ${r.name}\n` }, message: 'Initial commit', author });
    await git.updateRef(`refs/heads/${repo.defaultBranch}`, sha);
    for (const b of r.branches ?? []) await git.updateRef(`refs/heads/${b}`, sha);
    return repo;
  }

  private newRepoState(owner: Account, name: string, git: GitRepo, priv: boolean, defaultBranch: string, description: string | null, forkOf: RepoState | null): RepoState {
    const now = iso();
    return {
      id: this.nextId(),
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
      comments: new Map(),
      reviews: new Map(),
      checkRuns: new Map(),
      checkSuites: new Map(),
      statuses: [],
      deployments: new Map(),
      releases: new Map(),
    };
  }

  /** Forks `source` into `owner`'s account (a real git repository sharing its history). */
  async fork(source: string, owner: string): Promise<RepoState> {
    const src = this.repo(source);
    const acc = this.account(owner);
    const git = await GitRepo.fork(src.git, join(this.dataDir, 'repos', acc.login, `${src.name}.git`));
    const repo = this.newRepoState(acc, src.name, git, src.private, src.defaultBranch, src.description, src);
    this.repos.set(`${acc.login}/${src.name}`.toLowerCase(), repo);
    this.installationFor(acc);
    return repo;
  }

  addCollaborator(repo: string, login: string, permission: 'admin' | 'maintain' | 'write' | 'triage' | 'read' = 'write'): void {
    this.account(login);
    this.repo(repo).collaborators.set(login.toLowerCase(), permission);
  }

  setSecret(repo: string, name: string, value: string): void {
    this.repo(repo).secrets.set(name, value);
  }

  /** The permission GitHub reports for `login` on `repo`. */
  permissionOf(repo: RepoState, login: string): 'admin' | 'write' | 'read' | 'none' {
    const acc = this.findAccount(login);
    if (!acc) return 'none';
    if (repo.owner.id === acc.id) return 'admin';
    const c = repo.collaborators.get(login.toLowerCase());
    if (c === 'admin') return 'admin';
    if (c === 'maintain' || c === 'write') return 'write';
    if (c === 'triage' || c === 'read') return 'read';
    return repo.private ? 'none' : 'read';
  }

  async createBranch(repo: string, branch: string, from: string): Promise<string> {
    const r = this.repo(repo);
    const sha = await r.git.resolve(from);
    if (!sha) throw new Error(`cannot resolve ${from} in ${repo}`);
    await r.git.updateRef(`refs/heads/${branch}`, sha, null);
    await this.afterRefMoved(r, branch, null, sha, null);
    return sha;
  }

  /** Commits `files` on top of `branch` (created from the default branch when absent) as `author`. */
  async push(
    repo: string,
    c: {
      branch: string;
      files: Record<string, string | null>;
      message: string;
      author: PersonRef;
      committer?: PersonRef;
      /** `Co-authored-by` trailers: a login uses the user's noreply address (as GitHub's co-author suggestions do), or a raw name and email. */
      coAuthors?: PersonRef[];
      /** Parent commit (defaults to the branch tip); a non-descendant makes this a force push. */
      parent?: string;
      from?: string;
    },
  ): Promise<string> {
    const r = this.repo(repo);
    const before = await r.git.branchSha(c.branch);
    const parent = c.parent ?? before ?? (await r.git.resolve(c.from ?? `refs/heads/${r.defaultBranch}`));
    let message = c.message;
    if (c.coAuthors?.length) {
      const trailers = c.coAuthors.map((p) => {
        if (typeof p === 'string') {
          const a = this.account(p);
          return `Co-authored-by: ${a.name} <${a.id}+${a.login}@users.noreply.github.com>`;
        }
        return `Co-authored-by: ${p.name} <${p.email}>`;
      });
      message = `${message.replace(/\n+$/, '')}\n\n${trailers.join('\n')}`;
    }
    const author = this.identity(c.author);
    const committer = c.committer ? this.identity(c.committer) : author;
    const sha = await r.git.commitFiles({ parent, files: c.files, message, author, committer });
    await r.git.updateRef(`refs/heads/${c.branch}`, sha, before);
    const pusher = committer.account ?? author.account;
    await this.afterRefMoved(r, c.branch, before, sha, pusher);
    return sha;
  }

  /** Pushes `count` small commits to `branch` quickly (for large ranges). */
  async pushMany(repo: string, branch: string, count: number, author: PersonRef): Promise<string[]> {
    const r = this.repo(repo);
    const before = await r.git.branchSha(branch);
    const parent = before ?? (await r.git.resolve(`refs/heads/${r.defaultBranch}`));
    const id = this.identity(author);
    const series = Array.from({ length: count }, (_, i) => ({ files: { [`many/${branch.replace(/\W/g, '_')}-${i % 50}.txt`]: `change ${i}\n` }, message: `Change ${i + 1} of ${count}`, author: id }));
    const shas = await r.git.importLinear(parent, series);
    const tip = shas[shas.length - 1];
    if (tip) {
      await r.git.updateRef(`refs/heads/${branch}`, tip, before);
      await this.afterRefMoved(r, branch, before, tip, id.account);
    }
    return shas;
  }

  /** After a branch moved: PRs headed by it get `synchronize`. */
  async afterRefMoved(r: RepoState, branch: string, before: string | null, after: string, sender: Account | null): Promise<void> {
    r.pushedAt = iso();
    for (const base of this.repos.values()) {
      for (const pr of base.pulls.values()) {
        if (pr.state !== 'open' || pr.headRepo !== r || pr.headRef !== branch || pr.headSha === after) continue;
        const old = pr.headSha;
        pr.headSha = after;
        pr.updatedAt = iso();
        await base.git.fetchFrom(r.git, after, `refs/pull/${pr.number}/head`);
        await this.emit(base, 'pull_request', { action: 'synchronize', number: pr.number, before: old, after, pull_request: await this.pullJson(base, pr, true) }, sender ?? pr.user);
      }
    }
    void before;
  }

  async openPullRequest(p: { repo: string; head: string; base: string; title: string; body?: string; user: string; headRepo?: string; draft?: boolean }): Promise<PullState> {
    const r = this.repo(p.repo);
    const headRepo = p.headRepo ? this.repo(p.headRepo) : r;
    return this.createPull(r, { headRepo, headRef: p.head, baseRef: p.base, title: p.title, body: p.body ?? null, user: this.account(p.user), draft: p.draft ?? false });
  }

  /** Creates a PR with GitHub's validations (throws HttpError 422 like the API). */
  async createPull(r: RepoState, p: { headRepo: RepoState; headRef: string; baseRef: string; title: string; body: string | null; user: Account; draft: boolean }): Promise<PullState> {
    const headSha = await p.headRepo.git.branchSha(p.headRef);
    const baseSha = await r.git.branchSha(p.baseRef);
    const fail = (field: string, code: string, message?: string): never => {
      throw new HttpError(422, 'Validation Failed', { errors: [{ resource: 'PullRequest', field, code, ...(message ? { message } : {}) }] });
    };
    if (!baseSha) fail('base', 'invalid');
    if (!headSha) fail('head', 'invalid');
    for (const other of r.pulls.values()) {
      if (other.state === 'open' && other.headRepo === p.headRepo && other.headRef === p.headRef && other.baseRef === p.baseRef) {
        fail('', 'custom', `A pull request already exists for ${p.headRepo.owner.login}:${p.headRef}.`);
      }
    }
    const number = r.nextNumber++;
    await r.git.fetchFrom(p.headRepo.git, headSha as string, `refs/pull/${number}/head`);
    const ahead = await r.git.revList(baseSha, headSha as string);
    if (ahead.length === 0) {
      r.nextNumber--;
      await r.git.deleteRef(`refs/pull/${number}/head`);
      fail('', 'custom', `No commits between ${p.baseRef} and ${p.headRepo === r ? p.headRef : `${p.headRepo.owner.login}:${p.headRef}`}`);
    }
    const now = iso();
    const pr: PullState = {
      id: this.nextId(),
      number,
      title: p.title,
      body: p.body,
      user: p.user,
      headRepo: p.headRepo,
      headRef: p.headRef,
      headSha: headSha as string,
      baseRef: p.baseRef,
      state: 'open',
      draft: p.draft,
      merged: false,
      mergedBy: null,
      mergeCommitSha: null,
      baseShaAtMerge: null,
      createdAt: now,
      updatedAt: now,
      closedAt: null,
      mergedAt: null,
      maintainerCanModify: p.headRepo !== r,
    };
    r.pulls.set(number, pr);
    await this.emit(r, 'pull_request', { action: 'opened', number, pull_request: await this.pullJson(r, pr, true) }, p.user);
    return pr;
  }

  pull(repo: string, number: number): PullState {
    const pr = this.repo(repo).pulls.get(number);
    if (!pr) throw new Error(`no PR #${number} in ${repo}`);
    return pr;
  }

  /** Changes a PR's base (emits `pull_request.edited` with `changes.base`). */
  async retarget(r: RepoState, pr: PullState, base: string, sender: Account, title?: string, body?: string | null, state?: 'open' | 'closed'): Promise<void> {
    const changes: Record<string, unknown> = {};
    if (base !== pr.baseRef) {
      const sha = await r.git.branchSha(base);
      if (!sha) throw new HttpError(422, 'Validation Failed', { errors: [{ resource: 'PullRequest', field: 'base', code: 'invalid' }] });
      const oldSha = await r.git.branchSha(pr.baseRef);
      changes.base = { ref: { from: pr.baseRef }, sha: { from: oldSha ?? '' } };
      pr.baseRef = base;
    }
    if (title !== undefined && title !== pr.title) {
      changes.title = { from: pr.title };
      pr.title = title;
    }
    if (body !== undefined && body !== pr.body) {
      changes.body = { from: pr.body ?? '' };
      pr.body = body;
    }
    pr.updatedAt = iso();
    if (Object.keys(changes).length) await this.emit(r, 'pull_request', { action: 'edited', number: pr.number, changes, pull_request: await this.pullJson(r, pr, true) }, sender);
    if (state && state !== pr.state && !pr.merged) {
      pr.state = state;
      pr.closedAt = state === 'closed' ? iso() : null;
      await this.emit(r, 'pull_request', { action: state === 'closed' ? 'closed' : 'reopened', number: pr.number, pull_request: await this.pullJson(r, pr, true) }, sender);
    }
  }

  /** Merges a PR with a real git merge commit on its base branch. */
  async mergePull(r: RepoState, pr: PullState, sender: Account, opts: { sha?: string; method?: 'merge' | 'squash' | 'rebase'; title?: string; message?: string } = {}): Promise<string> {
    if (pr.merged) throw new HttpError(405, 'Pull Request is not mergeable');
    if (pr.state !== 'open') throw new HttpError(405, 'Pull Request is not mergeable');
    if (opts.sha && opts.sha !== pr.headSha) throw new HttpError(409, 'Head branch was modified. Review and try the merge again.');
    const baseSha = await r.git.branchSha(pr.baseRef);
    if (!baseSha) throw new HttpError(405, 'Base branch was deleted');
    const tree = await r.git.mergeTree(baseSha, pr.headSha);
    if (!tree) throw new HttpError(405, 'Merge conflict');
    const author = this.identity(sender.login);
    const committer = { name: 'GitHub', email: 'noreply@github.com' };
    let sha: string;
    const method = opts.method ?? 'merge';
    if (method === 'merge') {
      const headLabel = pr.headRepo === r ? `${r.owner.login}/${pr.headRef}` : `${pr.headRepo.owner.login}/${pr.headRef}`;
      const message = `${opts.title ?? `Merge pull request #${pr.number} from ${headLabel}`}\n\n${opts.message ?? pr.title}`;
      sha = await r.git.commitTree(tree, [baseSha, pr.headSha], message, author, committer);
    } else if (method === 'squash') {
      const message = `${opts.title ?? `${pr.title} (#${pr.number})`}\n\n${opts.message ?? ''}`.trim();
      sha = await r.git.commitTree(tree, [baseSha], message, this.identity(pr.user.login), committer);
    } else {
      throw new HttpError(405, 'Rebase merges are not allowed on this repository.');
    }
    await r.git.updateRef(`refs/heads/${pr.baseRef}`, sha, baseSha);
    const now = iso();
    Object.assign(pr, { merged: true, mergedBy: sender, mergeCommitSha: sha, baseShaAtMerge: baseSha, state: 'closed', closedAt: now, mergedAt: now, updatedAt: now });
    await this.emit(r, 'pull_request', { action: 'closed', number: pr.number, pull_request: await this.pullJson(r, pr, true) }, sender);
    await this.afterRefMoved(r, pr.baseRef, baseSha, sha, sender);
    return sha;
  }

  async merge(repo: string, number: number, user: string, opts: { sha?: string; method?: 'merge' | 'squash' } = {}): Promise<string> {
    return this.mergePull(this.repo(repo), this.pull(repo, number), this.account(user), opts);
  }

  /** Submits a review as `user` (GitHub refuses approvals and change requests by the PR's author). */
  async submitReview(r: RepoState, pr: PullState, user: Account, p: { event?: string; body?: string; commitId?: string }): Promise<ReviewState> {
    const event = p.event ?? 'PENDING';
    if (pr.user.id === user.id && (event === 'APPROVE' || event === 'REQUEST_CHANGES')) {
      throw new HttpError(422, 'Unprocessable Entity', { errors: [event === 'APPROVE' ? 'Can not approve your own pull request' : 'Can not request changes on your own pull request'] });
    }
    if ((event === 'REQUEST_CHANGES' || event === 'COMMENT') && !p.body) {
      throw new HttpError(422, 'Unprocessable Entity', { errors: [`Body is required when using ${event}`] });
    }
    let commitId = pr.headSha;
    if (p.commitId) {
      const ok = await r.git.resolve(p.commitId);
      if (!ok) throw new HttpError(422, 'Unprocessable Entity', { errors: ['Commit could not be found'] });
      commitId = ok;
    }
    const state: ReviewState['state'] = event === 'APPROVE' ? 'APPROVED' : event === 'REQUEST_CHANGES' ? 'CHANGES_REQUESTED' : event === 'COMMENT' ? 'COMMENTED' : 'PENDING';
    const review: ReviewState = { id: this.nextId() + 80000000, pullNumber: pr.number, user, body: p.body ?? '', state, commitId, submittedAt: state === 'PENDING' ? null : iso() };
    r.reviews.set(review.id, review);
    if (state !== 'PENDING') await this.emit(r, 'pull_request_review', { action: 'submitted', review: this.reviewJson(r, review, true), pull_request: await this.pullJson(r, pr, true, true) }, user);
    return review;
  }

  async review(p: { repo: string; pr: number; user: string; event: 'APPROVE' | 'REQUEST_CHANGES' | 'COMMENT'; body?: string; commitId?: string }): Promise<ReviewState> {
    const r = this.repo(p.repo);
    const review: { event: string; body?: string; commitId?: string } = { event: p.event };
    if (p.body !== undefined) review.body = p.body;
    else if (p.event !== 'APPROVE') review.body = p.event === 'COMMENT' ? 'Comment' : 'Please change this';
    if (p.commitId !== undefined) review.commitId = p.commitId;
    return this.submitReview(r, this.pull(p.repo, p.pr), this.account(p.user), review);
  }

  async dismissReview(r: RepoState, pr: PullState, review: ReviewState, sender: Account, message: string): Promise<void> {
    if (review.state !== 'APPROVED' && review.state !== 'CHANGES_REQUESTED') {
      throw new HttpError(422, 'Unprocessable Entity', { errors: [`Can not dismiss a ${review.state.toLowerCase()} pull request review`] });
    }
    review.state = 'DISMISSED';
    await this.emit(r, 'pull_request_review', { action: 'dismissed', review: this.reviewJson(r, review, true), pull_request: await this.pullJson(r, pr, true, true) }, sender);
    void message;
  }

  async addComment(r: RepoState, issueNumber: number, user: Account, body: string, viaApp: AppData | null = null): Promise<CommentState> {
    const pr = r.pulls.get(issueNumber);
    if (!pr) throw new HttpError(404, 'Not Found');
    const now = iso();
    const c: CommentState = { id: this.nextId() + 1_000_000, issueNumber, user, body, createdAt: now, updatedAt: now, viaApp, reactions: [] };
    r.comments.set(c.id, c);
    await this.emit(r, 'issue_comment', { action: 'created', issue: await this.issueJson(r, pr, true), comment: this.commentJson(r, c, true) }, user);
    return c;
  }

  async comment(repo: string, issueNumber: number, user: string, body: string): Promise<CommentState> {
    return this.addComment(this.repo(repo), issueNumber, this.account(user), body);
  }

  /** Adds a check run as a CI app would (emits `check_run` and, when a suite completes, `check_suite`). */
  async addCheckRun(
    repo: string,
    c: { headSha: string; name: string; status?: CheckRunState['status']; conclusion?: string | null; app?: 'ci' | 'stagegate'; summary?: string },
  ): Promise<CheckRunState> {
    const r = this.repo(repo);
    const app = c.app === 'stagegate' ? this.app : this.ciApp;
    const input: Record<string, unknown> = { name: c.name, head_sha: c.headSha, status: c.status ?? (c.conclusion ? 'completed' : 'queued') };
    if (c.conclusion) input.conclusion = c.conclusion;
    if (c.summary) input.output = { title: c.name, summary: c.summary };
    return this.createCheckRun(r, app, input);
  }

  async createCheckRun(r: RepoState, app: AppData, b: Record<string, unknown>): Promise<CheckRunState> {
    const headSha = String(b.head_sha);
    const resolved = await r.git.resolve(headSha);
    if (!resolved || resolved !== headSha) throw new HttpError(422, 'Validation Failed', { errors: [{ resource: 'CheckRun', code: 'invalid', field: 'head_sha' }] });
    let suite = [...r.checkSuites.values()].find((s) => s.app.id === app.id && s.headSha === headSha);
    if (!suite) {
      const branches = await r.git.listBranches();
      suite = { id: this.nextId() + 9_000_000, headSha, headBranch: branches.find((x) => x.sha === headSha)?.name ?? null, app, createdAt: iso(), updatedAt: iso(), completedSent: false };
      r.checkSuites.set(suite.id, suite);
    }
    suite.completedSent = false;
    const now = iso();
    const run: CheckRunState = {
      id: this.nextId() + 7_000_000,
      suiteId: suite.id,
      headSha,
      name: String(b.name),
      status: 'queued',
      conclusion: null,
      startedAt: typeof b.started_at === 'string' ? iso(b.started_at) : now,
      completedAt: null,
      externalId: typeof b.external_id === 'string' ? b.external_id : null,
      detailsUrl: typeof b.details_url === 'string' ? b.details_url : null,
      output: { title: null, summary: null, text: null, annotationsCount: 0 },
      app,
    };
    this.applyCheckRunInput(run, b);
    r.checkRuns.set(run.id, run);
    await this.emit(r, 'check_run', { action: 'created', check_run: await this.checkRunJson(r, run, true) }, this.account(`${app.slug}[bot]`));
    if (run.status === 'completed') await this.checkRunCompleted(r, run);
    return run;
  }

  applyCheckRunInput(run: CheckRunState, b: Record<string, unknown>): void {
    if (typeof b.name === 'string') run.name = b.name;
    if (typeof b.details_url === 'string') run.detailsUrl = b.details_url;
    if (typeof b.external_id === 'string') run.externalId = b.external_id;
    if (typeof b.status === 'string') run.status = b.status as CheckRunState['status'];
    if (typeof b.conclusion === 'string') {
      run.conclusion = b.conclusion;
      run.status = 'completed';
    }
    if (run.status === 'completed') {
      if (!run.conclusion) throw new HttpError(422, 'Invalid request.\n\n"conclusion" wasn\'t supplied.');
      run.completedAt = typeof b.completed_at === 'string' ? iso(b.completed_at) : (run.completedAt ?? iso());
    }
    const out = b.output as { title?: string; summary?: string; text?: string; annotations?: unknown[] } | undefined;
    if (out) {
      if (out.title !== undefined) run.output.title = out.title;
      if (out.summary !== undefined) run.output.summary = out.summary;
      if (out.text !== undefined) run.output.text = out.text;
      if (Array.isArray(out.annotations)) run.output.annotationsCount += out.annotations.length;
    }
  }

  async checkRunCompleted(r: RepoState, run: CheckRunState): Promise<void> {
    const bot = this.account(`${run.app.slug}[bot]`);
    await this.emit(r, 'check_run', { action: 'completed', check_run: await this.checkRunJson(r, run, true) }, bot);
    const suite = r.checkSuites.get(run.suiteId);
    if (!suite) return;
    const runs = [...r.checkRuns.values()].filter((x) => x.suiteId === suite.id);
    if (runs.every((x) => x.status === 'completed') && !suite.completedSent) {
      suite.completedSent = true;
      suite.updatedAt = iso();
      await this.emit(r, 'check_suite', { action: 'completed', check_suite: await this.checkSuiteJson(r, suite, true) }, bot);
    }
  }

  /** Sets a commit status as a CI would. */
  async setStatus(repo: string, sha: string, s: { state: StatusState['state']; context: string; description?: string; targetUrl?: string; user?: string }): Promise<StatusState> {
    const r = this.repo(repo);
    return this.createStatus(r, sha, s.user ? this.account(s.user) : this.account('sandbox-ci[bot]'), { state: s.state, context: s.context, description: s.description, target_url: s.targetUrl });
  }

  async createStatus(r: RepoState, sha: string, creator: Account, b: Record<string, unknown>): Promise<StatusState> {
    const resolved = await r.git.resolve(sha);
    if (!resolved) throw new HttpError(422, 'No commit found for SHA: ' + sha);
    const st: StatusState = {
      id: this.nextId() + 30_000_000,
      sha: resolved,
      state: b.state as StatusState['state'],
      context: typeof b.context === 'string' ? b.context : 'default',
      description: typeof b.description === 'string' ? b.description : null,
      targetUrl: typeof b.target_url === 'string' ? b.target_url : null,
      creator,
      createdAt: iso(),
    };
    r.statuses.push(st);
    const info = await this.commitView(r, resolved);
    const branches = (await r.git.listBranches()).filter((x) => x.sha === resolved);
    await this.emit(
      r,
      'status',
      {
        id: st.id,
        sha: st.sha,
        name: `${r.owner.login}/${r.name}`,
        target_url: st.targetUrl,
        context: st.context,
        description: st.description,
        state: st.state,
        commit: commitJson(this.bases, r, info),
        branches: branches.map((x) => ({ name: x.name, commit: { sha: x.sha, url: `${repoApiUrl(this.bases, r)}/commits/${x.sha}` }, protected: false })),
        created_at: st.createdAt,
        updated_at: st.createdAt,
      },
      creator,
    );
    return st;
  }

  // ---------------------------------------------------------------- JSON views

  async commitView(r: RepoState, sha: string): Promise<CommitView> {
    const info = await r.git.commitInfo(sha);
    if (!info) throw new HttpError(422, `No commit found for SHA: ${sha}`);
    return {
      sha: info.sha,
      tree: info.tree,
      parents: info.parents,
      message: info.message,
      author: info.author,
      committer: info.committer,
      authorAccount: this.accountByEmail(info.author.email),
      committerAccount: this.accountByEmail(info.committer.email),
    };
  }

  authorAssociation(r: RepoState, acc: Account): string {
    if (r.owner.id === acc.id) return 'OWNER';
    if (r.collaborators.has(acc.login.toLowerCase())) return 'COLLABORATOR';
    for (const t of this.teams.values()) if (t.org.id === r.owner.id && t.members.get(acc.login.toLowerCase())?.state === 'active') return 'MEMBER';
    return 'NONE';
  }

  /** `pull-request` (full) or, with `simple`, `pull-request-simple`; `forWebhook` adds webhook-only fields. */
  async pullJson(r: RepoState, pr: PullState, forWebhook = false, simple = false): Promise<Record<string, unknown>> {
    const b = this.bases;
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
      requested_reviewers: [],
      requested_teams: [],
      labels: [],
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
      author_association: this.authorAssociation(r, pr.user),
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
      mergeable_state: pr.state !== 'open' ? 'unknown' : mergeable ? 'clean' : 'dirty',
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

  /** The PR as an `issue`. */
  async issueJson(r: RepoState, pr: PullState, forWebhook = false): Promise<Record<string, unknown>> {
    const b = this.bases;
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
      author_association: this.authorAssociation(r, pr.user),
      reactions: reactionRollup(`${url}/reactions`),
      timeline_url: `${url}/timeline`,
      performed_via_github_app: null,
    };
    void forWebhook;
    return out;
  }

  commentJson(r: RepoState, c: CommentState, forWebhook = false): Record<string, unknown> {
    const b = this.bases;
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
      author_association: this.authorAssociation(r, c.user),
      performed_via_github_app: c.viaApp ? appJson(b, c.viaApp) : null,
      reactions: reactionRollup(`${url}/reactions`, counts),
    };
    void forWebhook;
    return out;
  }

  reviewJson(r: RepoState, rv: ReviewState, forWebhook = false): Record<string, unknown> {
    const b = this.bases;
    const prUrl = `${repoApiUrl(b, r)}/pulls/${rv.pullNumber}`;
    const html = `${repoHtmlUrl(b, r)}/pull/${rv.pullNumber}#pullrequestreview-${rv.id}`;
    const out: Record<string, unknown> = {
      id: rv.id,
      node_id: nodeId('PullRequestReview', rv.id),
      user: userJson(b, rv.user),
      body: forWebhook && rv.body === '' ? null : rv.body,
      state: forWebhook ? rv.state.toLowerCase() : rv.state,
      html_url: html,
      pull_request_url: prUrl,
      author_association: this.authorAssociation(r, rv.user),
      _links: { html: { href: html }, pull_request: { href: prUrl } },
      commit_id: rv.commitId,
    };
    if (rv.submittedAt) out.submitted_at = rv.submittedAt;
    return out;
  }

  async checkSuiteJson(r: RepoState, s: CheckSuiteState, forWebhook = false): Promise<Record<string, unknown>> {
    const b = this.bases;
    const runs = [...r.checkRuns.values()].filter((x) => x.suiteId === s.id);
    const done = runs.every((x) => x.status === 'completed');
    const order = ['action_required', 'cancelled', 'timed_out', 'failure', 'stale', 'neutral', 'skipped', 'success'];
    let conclusion: string | null = null;
    if (done && runs.length) conclusion = order.find((c) => runs.some((x) => x.conclusion === c)) ?? 'success';
    const head = await this.commitView(r, s.headSha);
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
      pull_requests: await this.pullRefsFor(r, s.headSha),
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

  /** Minimal PR references (as check runs and suites carry) of open PRs headed at `sha`. */
  async pullRefsFor(r: RepoState, sha: string): Promise<Array<Record<string, unknown>>> {
    const b = this.bases;
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

  async checkRunJson(r: RepoState, c: CheckRunState, forWebhook = false): Promise<Record<string, unknown>> {
    const b = this.bases;
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
      check_suite: forWebhook && suite ? await this.checkSuiteJson(r, suite, true) : { id: c.suiteId },
      app: appJson(b, c.app),
      pull_requests: await this.pullRefsFor(r, c.headSha),
    };
    return out;
  }

  statusJson(r: RepoState, s: StatusState, simple = false): Record<string, unknown> {
    const b = this.bases;
    const out: Record<string, unknown> = {
      url: `${repoApiUrl(b, r)}/statuses/${s.sha}`,
      avatar_url: `${b.web}/avatars/u/${s.creator.id}?v=4`,
      id: s.id,
      node_id: nodeId('StatusContext', s.id),
      state: s.state,
      description: s.description,
      target_url: s.targetUrl,
      context: s.context,
      created_at: s.createdAt,
      updated_at: s.createdAt,
    };
    if (!simple) out.creator = userJson(b, s.creator);
    return out;
  }

  deploymentJson(r: RepoState, d: DeploymentState): Record<string, unknown> {
    const b = this.bases;
    const url = `${repoApiUrl(b, r)}/deployments/${d.id}`;
    return {
      url,
      id: d.id,
      node_id: nodeId('Deployment', d.id),
      sha: d.sha,
      ref: d.ref,
      task: d.task,
      payload: d.payload,
      original_environment: d.environment,
      environment: d.environment,
      description: d.description,
      creator: userJson(b, d.creator),
      created_at: d.createdAt,
      updated_at: d.updatedAt,
      statuses_url: `${url}/statuses`,
      repository_url: repoApiUrl(b, r),
      transient_environment: d.transient,
      production_environment: d.production,
      performed_via_github_app: d.viaApp ? appJson(b, d.viaApp) : null,
    };
  }

  deploymentStatusJson(r: RepoState, d: DeploymentState, s: DeploymentStatusState): Record<string, unknown> {
    const b = this.bases;
    const url = `${repoApiUrl(b, r)}/deployments/${d.id}`;
    return {
      url: `${url}/statuses/${s.id}`,
      id: s.id,
      node_id: nodeId('DeploymentStatus', s.id),
      state: s.state,
      creator: userJson(b, s.creator),
      description: s.description,
      environment: s.environment,
      target_url: s.targetUrl,
      log_url: s.logUrl,
      environment_url: s.environmentUrl,
      created_at: s.createdAt,
      updated_at: s.createdAt,
      deployment_url: url,
      repository_url: repoApiUrl(b, r),
      performed_via_github_app: s.viaApp ? appJson(b, s.viaApp) : null,
    };
  }

  releaseJson(r: RepoState, rel: ReleaseState): Record<string, unknown> {
    const b = this.bases;
    const url = `${repoApiUrl(b, r)}/releases/${rel.id}`;
    return {
      url,
      html_url: `${repoHtmlUrl(b, r)}/releases/tag/${rel.tagName}`,
      assets_url: `${url}/assets`,
      upload_url: `${b.web}/uploads/repos/${r.owner.login}/${r.name}/releases/${rel.id}/assets{?name,label}`,
      tarball_url: `${repoApiUrl(b, r)}/tarball/${rel.tagName}`,
      zipball_url: `${repoApiUrl(b, r)}/zipball/${rel.tagName}`,
      id: rel.id,
      node_id: nodeId('Release', rel.id),
      tag_name: rel.tagName,
      target_commitish: rel.targetCommitish,
      name: rel.name,
      body: rel.body,
      draft: rel.draft,
      prerelease: rel.prerelease,
      immutable: false,
      created_at: rel.createdAt,
      published_at: rel.publishedAt,
      updated_at: rel.publishedAt ?? rel.createdAt,
      author: userJson(b, rel.author),
      assets: [],
    };
  }

  // ---------------------------------------------------------------- webhooks

  /** Builds, validates, records and (when a URL is set) sends one webhook delivery. */
  async emit(r: RepoState, event: string, body: Record<string, unknown>, sender: Account): Promise<Delivery> {
    const inst = this.installationFor(r.owner);
    const payload: Record<string, unknown> = {
      ...body,
      repository: repoJson(this.bases, r),
      sender: userJson(this.bases, sender),
      installation: { id: inst.id, node_id: nodeId('Installation', inst.id) },
    };
    if (r.owner.type === 'Organization') payload.organization = this.orgJson(r.owner);
    const errors = webhookContract().check(event, payload);
    if (errors.length) this.violations.push({ kind: 'webhook', operationId: `${event}${typeof body.action === 'string' ? `.${body.action}` : ''}`, errors });
    return this.enqueue(event, payload, { signature: 'valid', redeliveryOf: null, targetId: this.app.id });
  }

  orgJson(o: Account): Record<string, unknown> {
    const u = `${this.bases.api}/orgs/${o.login}`;
    return {
      login: o.login,
      id: o.id,
      node_id: nodeId('Organization', o.id),
      url: u,
      repos_url: `${u}/repos`,
      events_url: `${u}/events`,
      hooks_url: `${u}/hooks`,
      issues_url: `${u}/issues`,
      members_url: `${u}/members{/member}`,
      public_members_url: `${u}/public_members{/member}`,
      avatar_url: `${this.bases.web}/avatars/u/${o.id}?v=4`,
      description: null,
    };
  }

  private enqueue(
    event: string,
    payload: Record<string, unknown>,
    o: {
      signature: 'valid' | 'bad' | 'missing';
      redeliveryOf: string | null;
      /** `X-GitHub-Hook-Installation-Target-ID`: the app's id for an app's webhook. */ targetId: number;
      body?: string;
      id?: string;
    },
  ): Delivery {
    const body = o.body ?? JSON.stringify(payload);
    const id = o.id ?? newDeliveryId();
    const d: Delivery = {
      id,
      event,
      action: typeof payload.action === 'string' ? payload.action : null,
      payload,
      body,
      headers: deliveryHeaders({ id, event, body, secret: this.app.webhookSecret, hookId: this.hookId, targetId: o.targetId, targetType: 'integration', signature: o.signature }),
      status: null,
      responseBody: '',
      error: null,
      redeliveryOf: o.redeliveryOf,
      deliveredAt: null,
      durationMs: null,
    };
    this.deliveries.push(d);
    const url = this.webhookUrl;
    if (url && !this.stopping.signal.aborted) {
      this.pendingDeliveries++;
      const send = (): Promise<void> => (this.stopping.signal.aborted ? Promise.resolve() : postDelivery(url, d, this.opts.deliveryTimeoutMs ?? 30_000, this.stopping.signal));
      const sent = (this.opts.orderedDeliveries ? this.queue.then(send) : send()).finally(() => {
        this.pendingDeliveries--;
        this.events.emit('delivery', d);
        this.events.emit('change');
      });
      if (this.opts.orderedDeliveries) this.queue = sent;
    } else {
      this.events.emit('delivery', d);
      this.events.emit('change');
    }
    return d;
  }

  /** Re-sends a recorded delivery verbatim (same id, body and signature), as GitHub's "Redeliver" does. */
  redeliver(deliveryId: string): Delivery {
    const d = this.deliveries.find((x) => x.id === deliveryId);
    if (!d) throw new Error(`no delivery ${deliveryId}`);
    const copy = this.enqueue(d.event, d.payload, { signature: 'valid', redeliveryOf: d.id, targetId: Number(d.headers['x-github-hook-installation-target-id']), body: d.body, id: d.id });
    copy.headers = { ...d.headers };
    return copy;
  }

  /** Sends a delivery of `event` with a bad or missing signature (nothing in the sandbox changes). */
  sendForged(event: string, payload: Record<string, unknown>, signature: 'bad' | 'missing'): Delivery {
    return this.enqueue(event, payload, { signature, redeliveryOf: null, targetId: this.app.id });
  }

  /** Resolves with the first delivery (past or future) matching `pred` once it was sent. */
  waitForDelivery(pred: (d: Delivery) => boolean, timeoutMs = 20_000): Promise<Delivery> {
    return this.waitFor(() => this.deliveries.find((d) => (d.deliveredAt !== null || !this.webhookUrl) && pred(d)) ?? null, timeoutMs, 'webhook delivery');
  }

  waitForWorkflowRun(pred: (r: WorkflowRun) => boolean = () => true, timeoutMs = 120_000): Promise<WorkflowRun> {
    return this.waitFor(() => this.runner.runs.find((r) => r.status === 'completed' && pred(r)) ?? null, timeoutMs, 'workflow run');
  }

  /** Polls `probe` on every change until it returns non-null. */
  waitFor<T>(probe: () => T | null, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const v = probe();
        if (v !== null && v !== undefined) {
          cleanup();
          resolve(v);
          return true;
        }
        return false;
      };
      const onChange = (): void => void check();
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const poll = setInterval(onChange, 100);
      const cleanup = (): void => {
        clearTimeout(timer);
        clearInterval(poll);
        this.events.off('change', onChange);
      };
      this.events.on('change', onChange);
      check();
    });
  }

  /** Resolves when no delivery is pending, no request is in flight and no workflow runs, for `quietMs`. */
  async settled(timeoutMs = 60_000, quietMs = 150): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let quietSince = 0;
    for (;;) {
      const busy = this.pendingDeliveries > 0 || this.inflight > 0 || this.runner.active > 0;
      if (busy) quietSince = 0;
      else if (!quietSince) quietSince = Date.now();
      else if (Date.now() - quietSince >= quietMs) return;
      if (Date.now() > deadline) {
        const recent = new Map<string, number>();
        for (const d of this.deliveries.slice(-60)) {
          const k = `${d.event}${d.action ? `.${d.action}` : ''} (${String((d.payload.repository as { full_name?: string } | undefined)?.full_name ?? '?')})`;
          recent.set(k, (recent.get(k) ?? 0) + 1);
        }
        const top = [...recent.entries()]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 4)
          .map(([k, n]) => `${n}× ${k}`)
          .join(', ');
        throw new Error(
          `sandbox did not settle in ${timeoutMs} ms: ${this.pendingDeliveries} webhook deliveries pending, ${this.inflight} API requests in flight, ${this.runner.active} workflow runs active; last deliveries: ${top}`,
        );
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  // ---------------------------------------------------------------- workflows

  /** Maps a workflow step's `uses:` (e.g. `acme/stagegate@v1` or `./`) to a local action bundle. */
  registerAction(uses: string, entry: ActionEntry): void {
    this.runner.actions.set(uses, entry);
  }

  // ---------------------------------------------------------------- reading

  async comments(repo: string, issueNumber: number): Promise<CommentState[]> {
    return [...this.repo(repo).comments.values()].filter((c) => c.issueNumber === issueNumber);
  }

  checkRunsFor(repo: string, sha: string): CheckRunState[] {
    return [...this.repo(repo).checkRuns.values()].filter((c) => c.headSha === sha);
  }

  deploymentsOf(repo: string): DeploymentState[] {
    return [...this.repo(repo).deployments.values()];
  }

  // ---------------------------------------------------------------- HTTP

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inflight++;
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const raw = Buffer.concat(chunks).toString('utf8');
      const result = await this.serve(req, raw);
      const headers: Record<string, string> = {
        'x-github-media-type': 'github.v3; format=json',
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': '4999',
        'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
        'x-github-request-id': randomBytes(8).toString('hex'),
        ...result.headers,
      };
      if (result.raw !== undefined) {
        res.writeHead(result.status, { 'content-type': result.contentType ?? 'application/octet-stream', ...headers });
        res.end(result.raw);
      } else if (result.body === undefined) {
        res.writeHead(result.status, headers);
        res.end();
      } else {
        res.writeHead(result.status, { 'content-type': 'application/json; charset=utf-8', ...headers });
        res.end(JSON.stringify(result.body));
      }
    } catch (err) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: err instanceof Error ? err.message : String(err) }));
    } finally {
      this.inflight--;
      this.events.emit('change');
    }
  }

  private async serve(req: IncomingMessage, raw: string): Promise<RouteResult> {
    const url = new URL(req.url ?? '/', this.bases.web);
    const method = (req.method ?? 'GET').toUpperCase();
    let path = url.pathname;
    const prefix = path.startsWith('/api/v3/') || path === '/api/v3' ? '/api/v3' : '';
    if (prefix) path = path.slice(prefix.length) || '/';
    const notFound = { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' };
    if (path === '/api/graphql' || path === '/graphql') {
      this.violations.push({ kind: 'request', method, path, operationId: null, status: 404, errors: ['GraphQL is not served by the sandbox'] });
      return { status: 404, body: notFound };
    }
    let body: unknown = undefined;
    if (raw.length) {
      try {
        body = JSON.parse(raw);
      } catch {
        this.violations.push({ kind: 'request', method, path, operationId: null, status: 400, errors: ['body is not JSON'] });
        return { status: 400, body: { message: 'Problems parsing JSON', documentation_url: 'https://docs.github.com/rest' } };
      }
    }
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const match = matchRoute(method, path);
    const headers: Record<string, string | string[] | undefined> = { ...req.headers };
    const verdict = match
      ? githubContract().checkRequest({ method, path: match.canonicalPath, query, headers, body })
      : { operationId: null, status: 404 as const, errors: [`no GitHub operation for ${method} ${path}`] };
    if (verdict.status === 404 || !match || !verdict.operationId) {
      this.violations.push({ kind: 'request', method, path, operationId: verdict.operationId, status: 404, errors: verdict.errors });
      return { status: 404, body: notFound };
    }
    if (verdict.status === 422) {
      this.violations.push({ kind: 'request', method, path, operationId: verdict.operationId, status: 422, errors: verdict.errors });
      return this.checked(verdict.operationId, {
        status: 422,
        body: { message: 'Validation Failed', errors: verdict.errors.map((e) => ({ resource: verdict.operationId, code: 'invalid', message: e })), documentation_url: 'https://docs.github.com/rest' },
      });
    }
    const actor = this.authenticate(req.headers.authorization);
    let result: RouteResult;
    try {
      result = await dispatchRoute(this, {
        operationId: verdict.operationId,
        params: match.params,
        query,
        body: (body ?? {}) as Record<string, unknown>,
        actor,
        headers: req.headers,
        method,
        url: new URL(`${prefix}${url.pathname.slice(prefix.length)}${url.search}`, this.bases.web),
      });
    } catch (err) {
      if (err instanceof HttpError) result = { status: err.status, body: { message: err.message, ...err.extra, documentation_url: 'https://docs.github.com/rest' } };
      else throw err;
    }
    if (result.status === 501)
      this.violations.push({ kind: 'unimplemented', method, path, operationId: verdict.operationId, status: 501, errors: [`the sandbox does not serve ${verdict.operationId}`] });
    return this.checked(verdict.operationId, result);
  }

  private checked(operationId: string, result: RouteResult): RouteResult {
    if (result.raw === undefined && result.body !== undefined) {
      const errors = githubContract().checkResponse(operationId, result.status, result.body);
      if (errors.length) this.violations.push({ kind: 'response', operationId, status: result.status, errors: errors.slice(0, 30) });
    }
    return result;
  }

  /** Who the `Authorization` header authenticates (app JWTs are verified against the app's public key). */
  authenticate(header: string | undefined): Actor | { kind: 'invalid'; message: string } {
    if (!header) return { kind: 'anonymous' };
    const m = /^(?:token|bearer)\s+(\S+)$/i.exec(header.trim());
    if (!m || !m[1]) return { kind: 'invalid', message: 'Bad credentials' };
    const token = m[1];
    if (token.split('.').length === 3) return verifyAppJwt(token, this.app);
    const t = this.tokens.get(token);
    if (!t) return { kind: 'invalid', message: 'Bad credentials' };
    if (t.expiresAt < Date.now()) return { kind: 'invalid', message: 'Bad credentials' };
    return t.actor;
  }
}

/** Verifies an app's RS256 JWT as GitHub does (signature, `iss`, `iat`, `exp` at most 10 minutes ahead). */
export function verifyAppJwt(jwt: string, app: AppData & { publicKey: KeyObject }): Actor | { kind: 'invalid'; message: string } {
  const [h, p, s] = jwt.split('.');
  const bad = (message: string): { kind: 'invalid'; message: string } => ({ kind: 'invalid', message });
  try {
    const header = JSON.parse(Buffer.from(h ?? '', 'base64url').toString('utf8')) as { alg?: string };
    if (header.alg !== 'RS256') return bad('A JSON web token could not be decoded');
    const ok = cryptoVerify(`${h}.${p}`, Buffer.from(s ?? '', 'base64url'), app.publicKey);
    if (!ok) return bad('A JSON web token could not be decoded');
    const claims = JSON.parse(Buffer.from(p ?? '', 'base64url').toString('utf8')) as { iss?: unknown; iat?: unknown; exp?: unknown };
    const now = Math.floor(Date.now() / 1000);
    if (String(claims.iss) !== String(app.id) && claims.iss !== app.clientId) return bad("'Issuer' claim ('iss') must be an Integer");
    if (typeof claims.exp !== 'number' || claims.exp <= now) return bad("'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires");
    if (typeof claims.iat !== 'number' || claims.iat > now + 60) return bad("'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued");
    if (claims.exp - claims.iat > 660) return bad("'Expiration time' claim ('exp') is too far in the future");
    return { kind: 'app', app };
  } catch {
    return bad('A JSON web token could not be decoded');
  }
}

function cryptoVerify(data: string, sig: Buffer, key: KeyObject): boolean {
  return nodeVerify('RSA-SHA256', Buffer.from(data), key, sig);
}

export type { Delivery, WorkflowRun };
