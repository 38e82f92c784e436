import type { AppRef, EvidenceRun, EvidenceStatus } from '../protocol/evidence.js';

/** A list read from GitHub, and whether it was read completely. Incomplete lists make rules fail closed. */
export type Listing<T> = { complete: true; items: T[] } | { complete: false; items: T[]; reason: string };

/** A person on a commit: the Git identity and the GitHub account it maps to (null when none). */
export interface CommitPerson {
  /** GitHub login, or null when the email maps to no account. */
  login: string | null;
  name: string;
  email: string;
}

/** A commit in the promotion range base..head. */
export interface CommitFact {
  sha: string;
  message: string;
  author: CommitPerson & { date: string };
  committer: CommitPerson;
  /** `Co-authored-by:` trailers, mapped to GitHub accounts where possible. */
  coAuthors: CommitPerson[];
  parents: string[];
  /** GitHub's signature verification of the commit (`commit.verification`); null when GitHub did not say. */
  verification?: { verified: boolean; reason: string } | null;
}

/** The promotion pull request as GitHub reports it now. */
export interface PullRequestFact {
  number: number;
  title: string;
  htmlUrl: string;
  author: string;
  state: 'open' | 'closed';
  draft: boolean;
  merged: boolean;
  mergeCommitSha: string | null;
  mergedBy: string | null;
  headRef: string;
  headSha: string;
  headRepo: string | null;
  baseRef: string;
  baseSha: string;
  baseRepo: string;
}

/** A file changed in base..head. */
export interface ChangedFileFact {
  filename: string;
  status: string;
  previousFilename?: string;
}

/** A pull request review. */
export interface ReviewFact {
  id: number;
  user: string;
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED' | 'PENDING';
  /** The commit the review was made on. */
  commitId: string;
  submittedAt: string;
}

/** A check run or commit status on a commit. */
export interface CheckFact {
  name: string;
  source: 'check_run' | 'status';
  /** `completed` for finished check runs and for final statuses. */
  status: 'queued' | 'in_progress' | 'completed' | 'waiting' | 'requested' | 'pending';
  /** For completed check runs: success, failure, neutral, cancelled, skipped, timed_out, action_required, stale; for statuses: success, failure, error. */
  conclusion: string | null;
  /** When the run started or the status was created; the newest per name wins. */
  at: string;
  id: number;
  url: string | null;
  /** Who posted it: the check run's app slug, or the login that created the status (audit evidence). */
  app?: string | null;
}

/** A deployment, as GitHub lists it. */
export interface DeploymentFact {
  id: number;
  sha: string;
  ref: string;
  environment: string;
  createdAt: string;
  /** Login of the account that created it. */
  creator: string | null;
  /** The app it was created through (`performed_via_github_app`): Stagegate's own deployments carry the app. */
  performedViaApp: AppRef | null;
  /** As GitHub returns it (an object, or a JSON string). */
  payload: unknown;
}

/** A deployment status, with who wrote it and the run it links to. */
export type DeploymentStatusFact = EvidenceStatus;

/** A workflow run. */
export type WorkflowRunFact = EvidenceRun;

/** Who pushed commits of the range (GitHub's own attribution of ref updates, recorded by the app). */
export interface PushFact {
  sha: string;
  /** Logins that pushed (moved a branch to include) the commit. */
  pushers: string[];
}

/** Team membership of a user. */
export type TeamMembership = 'active' | 'pending' | 'none';

/** A user's role on the repository (`none` when not a collaborator). */
export type RepoPermission = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

/** A pull request merged into the range, for release notes. */
export interface MergedPullFact {
  number: number;
  title: string;
  author: string;
  htmlUrl: string;
  /**
   * Commits of the range known to belong to it: its merge (or squash) commit, and the commits a
   * rebase merge wrote. The commits a true merge brings in are found from the merge's parents.
   */
  commits: string[];
  /** Label names. */
  labels?: string[];
  /** `merge_commit_sha`: the merge, squash or (rebase) last rebased commit. */
  mergeCommitSha?: string | null;
  mergedAt?: string | null;
  /** Branches it merged from and into, and whether its head was in this repository (a promotion PR is `from → branch` of a stage). */
  headRef?: string;
  baseRef?: string;
  sameRepo?: boolean;
}

/**
 * Everything the gate may look at, fetched lazily. The GitHub implementation memoises each fact
 * (one request sequence per fact); tests use a plain fake. Methods throw when GitHub errors:
 * the gate then fails closed.
 */
export interface PromotionFacts {
  /** The owner/name of the repository. */
  readonly repository: string;
  pullRequest(): Promise<PullRequestFact>;
  /** Every commit in base..head, oldest first. */
  commits(): Promise<Listing<CommitFact>>;
  /** Every file changed in base..head. */
  files(): Promise<Listing<ChangedFileFact>>;
  /** Every review on the pull request, oldest first. */
  reviews(): Promise<Listing<ReviewFact>>;
  /** Check runs and statuses on a commit. */
  checks(sha: string): Promise<Listing<CheckFact>>;
  /** The newest deployments to an environment, newest first (one page: `complete` says whether that was all). */
  deployments(environment: string): Promise<Listing<DeploymentFact>>;
  /** Every status of a deployment, newest first. */
  deploymentStatuses(deploymentId: number): Promise<Listing<DeploymentStatusFact>>;
  /** A workflow run of the repository, or null when it does not exist. */
  workflowRun(runId: number): Promise<WorkflowRunFact | null>;
  /**
   * The workflow run whose job deployment the app approved as a custom deployment protection rule
   * (protection-rule mode), from the app's own records; null when it approved none.
   */
  approvedRunOf(deploymentId: number): Promise<number | null>;
  /** Who pushed each commit of the range; `complete: false` names what could not be attributed. */
  pushes(): Promise<Listing<PushFact>>;
  /** The tree SHA of a commit (identical trees deploy identical code). */
  treeOf(sha: string): Promise<string>;
  /** Whether a user is an active member of org/team. */
  teamMembership(org: string, teamSlug: string, login: string): Promise<TeamMembership>;
  /** A user's permission on the repository. */
  permission(login: string): Promise<RepoPermission>;
  /** Pull requests merged into the range, for release notes. */
  mergedPulls(): Promise<Listing<MergedPullFact>>;
}
