/**
 * The facade of the GitHub sandbox: one object holding the world's state, with the scripting API users and
 * tests drive. Each method delegates to the module of its domain — `world/*.ts` change state and emit
 * webhooks, `json/*.ts` build GitHub's objects, `routes/*.ts` serve the REST API, `webhooks/*.ts` deliver,
 * `http/*.ts` serve and authenticate (see docs/sandbox.md, "Where things live").
 */
import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { githubContract } from './github-openapi.js';
import { SandboxPlumbing } from './sandbox-plumbing.js';
import type { GitIdentity } from './git/repo.js';
import type { RateLimits, RequestLedger } from './http/ledger.js';
import { Faults } from './http/faults.js';
import { ApiServer } from './http/server.js';
import type { ContractViolation, EnvironmentOptions, PersonRef, SandboxLimits, SandboxOptions, UnsubscribedEvent } from './options.js';
import { WorkflowRunner, type ActionEntry, type WorkflowRun } from './runner/workflow-runner.js';
import type {
  Account,
  Actor,
  AppData,
  BranchProtectionState,
  ProtectionBypass,
  CheckRunState,
  CommentState,
  DeploymentState,
  EnvironmentState,
  InstallationState,
  PullState,
  RepoState,
  ReviewState,
  StatusState,
  TeamState,
} from './state.js';
import { webhookContract } from './webhook-contract.js';
import { DeliveryQueue } from './webhooks/queue.js';
import type { Delivery } from './webhooks/sender.js';
import * as accounts from './world/accounts.js';
import * as apps from './world/apps.js';
import * as checks from './world/checks.js';
import { configureEnvironment } from './world/environments.js';
import * as comments from './world/comments.js';
import { merge, mergePull } from './world/merges.js';
import { addLabels } from './world/review-requests.js';
import * as protection from './world/protection.js';
import * as pulls from './world/pulls.js';
import * as refs from './world/refs.js';
import * as repos from './world/repos.js';
import * as reviews from './world/reviews.js';
import * as statuses from './world/statuses.js';
import * as teams from './world/teams.js';
import { OAuthState } from './world/oauth.js';

export type { ContractViolation, PersonRef, SandboxLimits, SandboxOptions, UnsubscribedEvent } from './options.js';
export { verifyAppJwt } from './http/auth.js';
export type { Delivery, WorkflowRun };

type TeamMember = { role?: 'member' | 'maintainer'; state?: 'active' | 'pending' };

/** Stands in for github.com over real HTTP on 127.0.0.1, backed by real git repositories. */
export class GitHubSandbox extends SandboxPlumbing {
  readonly violations: ContractViolation[] = [];
  readonly deliveries: Delivery[] = [];
  /** Webhooks not delivered because the app does not subscribe to their event (see {@link SandboxOptions.events}). */
  readonly unsubscribed: UnsubscribedEvent[] = [];
  readonly events = new EventEmitter();
  readonly accounts = new Map<string, Account>();
  readonly repos = new Map<string, RepoState>();
  readonly teams = new Map<string, TeamState>();
  readonly installations = new Map<number, InstallationState>();
  readonly tokens = new Map<string, { actor: Actor; expiresAt: number }>();
  /** The app's OAuth web flow: client secret, callback URLs, codes (`world/oauth.ts`). */
  readonly oauth = new OAuthState();
  readonly app: apps.SandboxApp;
  readonly actionsApp: AppData;
  readonly ciApp: AppData;
  readonly runner: WorkflowRunner;
  /** Records and sends webhook deliveries (`webhooks/queue.ts`). */
  readonly deliveryQueue: DeliveryQueue;
  /** The HTTP server (`http/server.ts`). */
  readonly apiServer: ApiServer;
  /** Faults injected per operation (`http/faults.ts`): a 502 after a dispatch ran, a 403 secondary limit before a write. */
  readonly faults = new Faults();

  /** GitHub's listing limits in force (see {@link SandboxOptions.limits}). */
  readonly limits: SandboxLimits;

  /** Every API request answered: method, route template, status, conditional or not, caller (`http/ledger.ts`). */
  get ledger(): RequestLedger {
    return this.apiServer.ledger;
  }

  /** Hourly rate limits per caller; `x-ratelimit-*` headers report them (a `304` is free). */
  get rateLimits(): RateLimits {
    return this.apiServer.rateLimits;
  }
  webhookUrl: string | null;
  bases: { api: string; web: string } = { api: '', web: '' };
  port = 0;

  private dataDir = '';
  private ownsDataDir = false;
  private ids = 1000;

  private constructor(opts: SandboxOptions) {
    super();
    const built = apps.builtInApps(this, opts);
    this.app = built.app;
    this.actionsApp = built.actionsApp;
    this.ciApp = built.ciApp;
    this.webhookUrl = opts.webhookUrl ?? null;
    this.runner = new WorkflowRunner(this, opts.runnerEnv ?? {});
    if (opts.protectionRuleTimeoutMs !== undefined) this.runner.protectionRuleTimeoutMs = opts.protectionRuleTimeoutMs;
    this.deliveryQueue = new DeliveryQueue(this, { timeoutMs: opts.deliveryTimeoutMs ?? 30_000, ordered: opts.orderedDeliveries ?? false, hookId: 4242 });
    this.apiServer = new ApiServer(this, opts.rateLimit === undefined ? {} : { rateLimit: opts.rateLimit });
    this.limits = { ...opts.limits };
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
    sb.port = await sb.apiServer.listen();
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

  /** Where the git repositories live. */
  get dir(): string {
    return this.dataDir;
  }

  async stop(): Promise<void> {
    this.deliveryQueue.stop();
    await this.runner.stopAll();
    await this.apiServer.close();
    if (this.ownsDataDir) await rm(this.dataDir, { recursive: true, force: true });
  }

  nextId(): number {
    return ++this.ids;
  }

  // ------------------------------------------------ accounts, teams, apps (world/accounts.ts, world/teams.ts, world/apps.ts)

  /** Creates a user; `emails` are matched against commit author/committer emails. */
  createUser(u: { login: string; name?: string; email?: string; emails?: string[] }): Account & { token: string; email: string } {
    return accounts.createUser(this, u);
  }
  createOrg(o: { login: string; name?: string }): Account {
    return accounts.createOrg(this, o);
  }
  /** Creates a team (a child of the team `parent` when given); members default to active `member`s. */
  createTeam(org: string, t: { slug: string; name?: string; parent?: string; members?: Record<string, TeamMember> | string[] }): TeamState {
    return teams.createTeam(this, org, t);
  }
  setTeamMembership(org: string, slug: string, login: string, m: TeamMember | null): void {
    teams.setTeamMembership(this, org, slug, login, m);
  }
  /** Whether `login` is an active member of the team or of a team below it (as GitHub's membership API reports). */
  isTeamMember(org: string, slug: string, login: string): boolean {
    return teams.isTeamMember(this, org, slug, login);
  }
  account(login: string): Account {
    return accounts.account(this, login);
  }
  findAccount(login: string): Account | null {
    return accounts.findAccount(this, login);
  }
  /** The user whose emails include `email` (GitHub's commit attribution), else null. */
  accountByEmail(email: string): Account | null {
    return accounts.accountByEmail(this, email);
  }
  /** A token acting as `login` (a personal access token). */
  tokenFor(login: string): string {
    return accounts.tokenFor(this, login);
  }
  /** The installation of the app on `owner` (created on first use). */
  installationFor(owner: Account): InstallationState {
    return apps.installationFor(this, owner);
  }
  /** Issues an installation token (as `POST /app/installations/{id}/access_tokens` does). */
  issueInstallationToken(installationId: number, app: AppData = this.app): { token: string; expiresAt: string } {
    return apps.issueInstallationToken(this, installationId, app);
  }
  identity(p: PersonRef): GitIdentity & { account: Account | null } {
    return accounts.identity(this, p);
  }

  // ------------------------------------------------ repositories and branches (world/repos.ts, world/refs.ts)

  repo(fullName: string): RepoState {
    return repos.repo(this, fullName);
  }
  findRepo(owner: string, name: string): RepoState | null {
    return repos.findRepo(this, owner, name);
  }
  /** Creates a repository with an initial commit on its default branch, plus `branches` at that commit. */
  createRepo(r: Parameters<typeof repos.createRepo>[1]): Promise<RepoState> {
    return repos.createRepo(this, r);
  }
  /** Forks `source` into `owner`'s account (a real git repository sharing its history). */
  fork(source: string, owner: string): Promise<RepoState> {
    return repos.fork(this, source, owner);
  }
  addCollaborator(repo: string, login: string, permission: 'admin' | 'maintain' | 'write' | 'triage' | 'read' = 'write'): void {
    repos.addCollaborator(this, repo, login, permission);
  }
  setSecret(repo: string, name: string, value: string): void {
    repos.setSecret(this, repo, name, value);
  }
  /** Creates (or updates) a deployment environment: custom protection rules, secrets, deployment branch policy. */
  createEnvironment(repo: string, name: string, opts: EnvironmentOptions = {}): EnvironmentState {
    return configureEnvironment(this, this.repo(repo), name, opts);
  }
  /** The permission GitHub reports for `login` on `repo`. */
  permissionOf(repo: RepoState, login: string): 'admin' | 'write' | 'read' | 'none' {
    return repos.permissionOf(this, repo, login);
  }
  authorAssociation(r: RepoState, acc: Account): string {
    return repos.authorAssociation(this, r, acc);
  }
  createBranch(repo: string, branch: string, from: string): Promise<string> {
    return refs.createBranch(this, repo, branch, from);
  }
  /** Commits `files` on top of `branch` (created from the default branch when absent) as `author`. */
  push(repo: string, c: Parameters<typeof refs.push>[2]): Promise<string> {
    return refs.push(this, repo, c);
  }
  /** Protects `branch` as `PUT /repos/{owner}/{repo}/branches/{branch}/protection` does, from the same body (keys left out are off). */
  protectBranch(repo: string, branch: string, body: Record<string, unknown>): BranchProtectionState {
    return protection.setBranchProtection(this, this.repo(repo), branch, { required_status_checks: null, enforce_admins: null, required_pull_request_reviews: null, restrictions: null, ...body });
  }
  /** Ref updates (merges and pushes) admins made although branch protection was not satisfied. */
  protectionBypasses(repo: string): ProtectionBypass[] {
    return [...this.repo(repo).bypasses];
  }
  /** Pushes `count` small commits to `branch` quickly (for large ranges; `filesPerCommit` new files each). */
  pushMany(repo: string, branch: string, count: number, author: PersonRef, opts: refs.PushManyOptions = {}): Promise<string[]> {
    return refs.pushMany(this, repo, branch, count, author, opts);
  }
  /** After a branch moved: PRs headed by it get `synchronize`. */
  afterRefMoved(r: RepoState, branch: string, before: string | null, after: string, sender: Account | null): Promise<void> {
    return refs.afterRefMoved(this, r, branch, before, after, sender);
  }

  // ------------------------------------------------ pull requests, reviews, comments (world/pulls.ts, world/merges.ts, world/reviews.ts, world/comments.ts)

  openPullRequest(p: Parameters<typeof pulls.openPullRequest>[1]): Promise<PullState> {
    return pulls.openPullRequest(this, p);
  }
  /** Creates a PR with GitHub's validations (throws HttpError 422 like the API). */
  createPull(r: RepoState, p: Parameters<typeof pulls.createPull>[2]): Promise<PullState> {
    return pulls.createPull(this, r, p);
  }
  pull(repo: string, number: number): PullState {
    return pulls.pull(this, repo, number);
  }
  /** Changes a PR's base (emits `pull_request.edited` with `changes.base`). */
  retarget(r: RepoState, pr: PullState, base: string, sender: Account, title?: string, body?: string | null, state?: 'open' | 'closed'): Promise<void> {
    return pulls.retarget(this, r, pr, base, sender, title, body, state);
  }
  /** Merges a PR with a real git merge commit on its base branch. */
  mergePull(r: RepoState, pr: PullState, sender: Account, opts: Parameters<typeof mergePull>[4] = {}): Promise<string> {
    return mergePull(this, r, pr, sender, opts);
  }
  merge(repo: string, number: number, user: string, opts: { sha?: string; method?: 'merge' | 'squash' | 'rebase' } = {}): Promise<string> {
    return merge(this, repo, number, user, opts);
  }
  /** Submits a review as `user` (GitHub refuses approvals and change requests by the PR's author). */
  submitReview(r: RepoState, pr: PullState, user: Account, p: { event?: string; body?: string; commitId?: string }): Promise<ReviewState> {
    return reviews.submitReview(this, r, pr, user, p);
  }
  /** Adds labels to a pull request (creating unknown ones), as `POST .../issues/{n}/labels` does. */
  addLabels(repo: string, number: number, labels: string[]): void {
    addLabels(this.repo(repo), this.pull(repo, number), labels);
  }
  review(p: Parameters<typeof reviews.review>[1]): Promise<ReviewState> {
    return reviews.review(this, p);
  }
  dismissReview(r: RepoState, pr: PullState, review: ReviewState, sender: Account, message: string): Promise<void> {
    return reviews.dismissReview(this, r, pr, review, sender, message);
  }
  addComment(r: RepoState, issueNumber: number, user: Account, body: string, viaApp: AppData | null = null): Promise<CommentState> {
    return comments.addComment(this, r, issueNumber, user, body, viaApp);
  }
  comment(repo: string, issueNumber: number, user: string, body: string): Promise<CommentState> {
    return comments.comment(this, repo, issueNumber, user, body);
  }
  /** Edits a comment as `user` (emits `issue_comment.edited`). */
  editComment(repo: string, commentId: number, user: string, body: string): Promise<void> {
    const r = this.repo(repo);
    const c = r.comments.get(commentId);
    if (!c) throw new Error(`no comment ${commentId} in ${repo}`);
    return comments.editComment(this, r, c, this.account(user), body);
  }
  /** Deletes a comment as `user` (emits `issue_comment.deleted`). */
  deleteComment(repo: string, commentId: number, user: string): Promise<void> {
    const r = this.repo(repo);
    const c = r.comments.get(commentId);
    if (!c) throw new Error(`no comment ${commentId} in ${repo}`);
    return comments.deleteComment(this, r, c, this.account(user));
  }

  // ------------------------------------------------ checks and statuses (world/checks.ts, world/statuses.ts)

  /** Adds a check run as a CI app would (emits `check_run` and, when a suite completes, `check_suite`). */
  addCheckRun(repo: string, c: Parameters<typeof checks.addCheckRun>[2]): Promise<CheckRunState> {
    return checks.addCheckRun(this, repo, c);
  }
  createCheckRun(r: RepoState, app: AppData, b: Record<string, unknown>): Promise<CheckRunState> {
    return checks.createCheckRun(this, r, app, b);
  }
  applyCheckRunInput(run: CheckRunState, b: Record<string, unknown>): void {
    checks.applyCheckRunInput(this, run, b);
  }
  checkRunCompleted(r: RepoState, run: CheckRunState): Promise<void> {
    return checks.checkRunCompleted(this, r, run);
  }
  /** Sets a commit status as a CI would. */
  setStatus(repo: string, sha: string, s: Parameters<typeof statuses.setStatus>[3]): Promise<StatusState> {
    return statuses.setStatus(this, repo, sha, s);
  }
  createStatus(r: RepoState, sha: string, creator: Account, b: Record<string, unknown>): Promise<StatusState> {
    return statuses.createStatus(this, r, sha, creator, b);
  }

  // ------------------------------------------------ workflows and reading

  /** Maps a workflow step's `uses:` (e.g. `acme/stagegate@v1` or `./`) to a local action bundle. */
  registerAction(uses: string, entry: ActionEntry): void {
    this.runner.actions.set(uses, entry);
  }
  async comments(repo: string, issueNumber: number): Promise<CommentState[]> {
    return [...this.repo(repo).comments.values()].filter((c) => c.issueNumber === issueNumber);
  }
  checkRunsFor(repo: string, sha: string): CheckRunState[] {
    return [...this.repo(repo).checkRuns.values()].filter((c) => c.headSha === sha);
  }
  deploymentsOf(repo: string): DeploymentState[] {
    return [...this.repo(repo).deployments.values()];
  }
}
