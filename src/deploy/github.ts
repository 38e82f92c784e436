import type { AppRef, EvidenceRun, EvidenceStatus } from '../protocol/evidence.js';

/** GitHub deployment status states. */
export type DeploymentState = 'error' | 'failure' | 'inactive' | 'in_progress' | 'queued' | 'pending' | 'success';

/** The parts of a GitHub Deployment the Action uses. */
export interface DeploymentInfo {
  id: number;
  sha: string;
  ref: string;
  environment: string;
  createdAt: string;
  /** The payload as GitHub returns it (an object, or a string). */
  payload: unknown;
  /** Login of the account that created it. */
  creator: string | null;
  /** The app it was created through (`performed_via_github_app`), or null for a user's own token. */
  performedViaApp: AppRef | null;
}

/** A new deployment status. */
export interface StatusInput {
  state: DeploymentState;
  /** At most 140 characters; longer text is cut by the implementation. */
  description: string;
  environmentUrl?: string;
  logUrl?: string;
}

/** The comment written or updated by `upsertComment`. */
export interface CommentRef {
  id: number;
  url: string;
  created: boolean;
}

/** A pull request, as the Action checks a promotion. */
export interface PullInfo {
  number: number;
  state: 'open' | 'closed';
  merged: boolean;
  mergeCommitSha: string | null;
  headSha: string;
  headRef: string;
  baseRef: string;
}

/** Thrown by implementations when GitHub answers with an error (or cannot be reached). */
export class GitHubError extends Error {
  constructor(
    message: string,
    /** HTTP status, or null when GitHub could not be reached. */
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'GitHubError';
  }
}

/** The GitHub operations the deploy core needs, for one repository. */
export interface DeployGitHub {
  /** The deployment, or null when it does not exist (404). */
  getDeployment(id: number): Promise<DeploymentInfo | null>;
  /** Deployments in an environment (optionally of one sha), newest first, at most `limit`. */
  listDeployments(environment: string, limit: number, sha?: string): Promise<DeploymentInfo[]>;
  /** Every status of a deployment (newest first, as GitHub lists them). */
  listStatuses(deploymentId: number): Promise<EvidenceStatus[]>;
  /** A workflow run of this repository, or null when it does not exist. */
  getRun(runId: number): Promise<EvidenceRun | null>;
  /** A pull request, or null when it does not exist. */
  getPull(number: number): Promise<PullInfo | null>;
  /** The merged pull requests whose merge commit is `sha` (protection-rule mode finds the promotion this way). */
  pullsMergedAs(sha: string): Promise<PullInfo[]>;
  /** The parents of a commit. */
  parentsOf(sha: string): Promise<string[]>;
  /** The apps whose custom deployment protection rules are enabled on an environment ([] when none or no such environment). */
  protectionRuleApps(environment: string): Promise<AppRef[]>;
  createDeployment(input: { ref: string; environment: string; payload: Record<string, unknown>; description: string }): Promise<DeploymentInfo>;
  createStatus(deploymentId: number, status: StatusInput): Promise<void>;
  /**
   * Updates the issue comment that contains `marker` **and was written by this token's own
   * identity**, or creates one. A comment someone else planted the marker in is never touched.
   */
  upsertComment(issueNumber: number, marker: string, body: string): Promise<CommentRef>;
  /**
   * A file of any repository the token can read (the policy at the pre-merge base, the
   * configuration's `_extends`), or null when it does not exist. Same contract as
   * `ConfigSource.read` in src/config/load.ts.
   */
  read(loc: { owner: string; repo: string; path: string; ref?: string }): Promise<string | null>;
}
