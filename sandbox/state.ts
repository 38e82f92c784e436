/** The in-memory records of the sandbox (the git repositories hold the code). */
import type { GitRepo } from './git/repo.js';

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
  /** Whether GitHub verified the commit's signature (commits pushed with `signed: true`). */
  verified?: boolean;
}

/** A repository: its data, its git directory, and what lives beside the code. */
export interface RepoState extends RepoData {
  git: GitRepo;
  collaborators: Map<string, 'admin' | 'maintain' | 'write' | 'triage' | 'read'>;
  secrets: Map<string, string>;
  nextNumber: number;
  pulls: Map<number, PullState>;
  /** Issues (not pull requests) by number; numbers are shared with pull requests (`nextNumber`). */
  issues: Map<number, IssueState>;
  /** Issue comments by id, of PRs and issues of this repo. */
  comments: Map<number, CommentState>;
  reviews: Map<number, ReviewState>;
  checkRuns: Map<number, CheckRunState>;
  checkSuites: Map<number, CheckSuiteState>;
  statuses: StatusState[];
  deployments: Map<number, DeploymentState>;
  releases: Map<number, ReleaseState>;
  /** Labels of the repository by lower-cased name (created on first use, as adding an unknown label does). */
  labels: Map<string, { id: number; name: string; color: string; description: string | null }>;
  /** Branch protection rules by branch name. */
  protections: Map<string, BranchProtectionState>;
  /** Ref updates an admin made despite unsatisfied protection (GitHub's `protected_branch.policy_override`). */
  bypasses: ProtectionBypass[];
  /** Deployment environments by name (created on first use, as GitHub does). */
  environments: Map<string, EnvironmentState>;
  /** Every ref update, oldest first (`GET /repos/{owner}/{repo}/activity`). */
  activity: ActivityState[];
  /** Commits whose signature GitHub verified (`commit.verification.verified`). */
  signedCommits: Set<string>;
}

/** A deployment environment: its custom protection rules (apps), secrets and deployment branch policy. */
export interface EnvironmentState {
  id: number;
  name: string;
  createdAt: string;
  updatedAt: string;
  /** Custom deployment protection rules: each app is asked before a job using the environment starts. */
  protectionRules: Array<{ id: number; app: AppData; enabled: boolean }>;
  /** Environment secrets (`secrets.*` in jobs that use the environment). */
  secrets: Map<string, string>;
  /** Branches (names) that may deploy to it; null: any. */
  branches: string[] | null;
}

/** One ref update as the repository activity API reports it. */
export interface ActivityState {
  id: number;
  ref: string;
  before: string;
  after: string;
  timestamp: string;
  activityType: 'push' | 'force_push' | 'branch_deletion' | 'branch_creation' | 'pr_merge' | 'merge_queue_merge';
  actor: Account | null;
}

export interface PullState {
  id: number;
  number: number;
  title: string;
  body: string | null;
  user: Account;
  headRepo: RepoState;
  headRef: string;
  headSha: string;
  baseRef: string;
  state: 'open' | 'closed';
  draft: boolean;
  merged: boolean;
  mergedBy: Account | null;
  mergeCommitSha: string | null;
  /** Base branch sha at the time of the merge (keeps the range of a merged PR). */
  baseShaAtMerge: string | null;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  mergedAt: string | null;
  maintainerCanModify: boolean;
  /** Label names. */
  labels: string[];
  /** Pending review requests (a submitted review fulfils its author's). */
  requestedReviewers: Account[];
  requestedTeams: TeamState[];
  /** `merge`, `squash` or `rebase`, once merged. */
  mergeMethod?: 'merge' | 'squash' | 'rebase';
}

/** An issue (not a pull request). */
export interface IssueState {
  id: number;
  number: number;
  title: string;
  body: string | null;
  user: Account;
  state: 'open' | 'closed';
  stateReason: 'completed' | 'not_planned' | 'reopened' | null;
  assignees: Account[];
  labels: string[];
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  viaApp: AppData | null;
}

export interface CommentState {
  id: number;
  issueNumber: number;
  user: Account;
  body: string;
  createdAt: string;
  updatedAt: string;
  viaApp: AppData | null;
  reactions: Array<{ id: number; user: Account; content: string; createdAt: string }>;
}

export interface ReviewState {
  id: number;
  pullNumber: number;
  user: Account;
  body: string;
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED' | 'PENDING';
  commitId: string;
  submittedAt: string | null;
}

export interface CheckRunState {
  id: number;
  suiteId: number;
  headSha: string;
  name: string;
  status: 'queued' | 'in_progress' | 'completed' | 'waiting' | 'requested' | 'pending';
  conclusion: string | null;
  startedAt: string;
  completedAt: string | null;
  externalId: string | null;
  detailsUrl: string | null;
  output: { title: string | null; summary: string | null; text: string | null; annotationsCount: number; annotations: CheckAnnotation[] };
  app: AppData;
}

/** A check run annotation as the app sent it (GitHub keeps every batch; 50 per request at most). */
export interface CheckAnnotation {
  path: string;
  startLine: number;
  endLine: number;
  startColumn: number | null;
  endColumn: number | null;
  level: 'notice' | 'warning' | 'failure';
  title: string | null;
  message: string;
  rawDetails: string | null;
}

export interface CheckSuiteState {
  id: number;
  headSha: string;
  headBranch: string | null;
  app: AppData;
  createdAt: string;
  updatedAt: string;
  completedSent: boolean;
}

export interface StatusState {
  id: number;
  sha: string;
  state: 'error' | 'failure' | 'pending' | 'success';
  context: string;
  description: string | null;
  targetUrl: string | null;
  creator: Account;
  createdAt: string;
}

export interface DeploymentState {
  id: number;
  sha: string;
  ref: string;
  task: string;
  environment: string;
  payload: unknown;
  description: string | null;
  creator: Account;
  viaApp: AppData | null;
  transient: boolean;
  production: boolean;
  createdAt: string;
  updatedAt: string;
  statuses: DeploymentStatusState[];
}

export interface DeploymentStatusState {
  id: number;
  state: 'error' | 'failure' | 'inactive' | 'in_progress' | 'queued' | 'pending' | 'success';
  description: string;
  environment: string;
  targetUrl: string;
  logUrl: string;
  environmentUrl: string;
  creator: Account;
  viaApp: AppData | null;
  createdAt: string;
}

export interface ReleaseState {
  id: number;
  tagName: string;
  targetCommitish: string;
  name: string | null;
  body: string | null;
  draft: boolean;
  prerelease: boolean;
  author: Account;
  createdAt: string;
  publishedAt: string | null;
}

/** A branch protection rule, as `PUT /repos/{owner}/{repo}/branches/{branch}/protection` sets it. */
export interface BranchProtectionState {
  /** Required checks; `appId` is the app that must provide each (null: any source). */
  requiredStatusChecks: { strict: boolean; checks: Array<{ context: string; appId: number | null }> } | null;
  enforceAdmins: boolean;
  requiredPullRequestReviews: { dismissStaleReviews: boolean; requireCodeOwnerReviews: boolean; requiredApprovingReviewCount: number; requireLastPushApproval: boolean } | null;
  /** Who may push (logins, team slugs, app slugs); null: anyone with write access. */
  restrictions: { users: string[]; teams: string[]; apps: string[] } | null;
  requiredLinearHistory: boolean;
  allowForcePushes: boolean;
  allowDeletions: boolean;
  blockCreations: boolean;
  requiredConversationResolution: boolean;
  lockBranch: boolean;
  allowForkSyncing: boolean;
}

/** A ref update an admin made although protection was not satisfied (recorded, as GitHub's audit log does). */
export interface ProtectionBypass {
  ref: string;
  /** The PR whose merge it was, or null for a push. */
  pullNumber: number | null;
  before: string | null;
  after: string | null;
  actor: Account;
  /** What was not satisfied (the messages a non-admin gets). */
  reasons: string[];
  createdAt: string;
}

/** The installation of the sandbox's app on an account (every account with a repository has one). */
export interface InstallationState {
  id: number;
  account: Account;
  createdAt: string;
}

/** A team of an organization. */
export interface TeamState {
  id: number;
  org: Account;
  slug: string;
  name: string;
  /** The parent team: its membership includes this team's members ("Team members will include the members of child teams"). */
  parent: TeamState | null;
  /** Direct members. */
  members: Map<string, { role: 'member' | 'maintainer'; state: 'active' | 'pending' }>;
}

/** Who a request acts as. */
export type Actor =
  | { kind: 'anonymous' }
  | { kind: 'app'; app: AppData }
  | { kind: 'installation'; app: AppData; installationId: number; bot: Account }
  | {
      kind: 'user';
      account: Account;
      /** Set for a user access token (OAuth web flow): it acts through this app, so it reaches only the app's installations. */
      app?: AppData;
    };
