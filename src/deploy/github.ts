/** GitHub deployment status states. */
export type DeploymentState = 'error' | 'failure' | 'inactive' | 'in_progress' | 'queued' | 'pending' | 'success';

/** The parts of a GitHub Deployment the action uses. */
export interface DeploymentInfo {
  id: number;
  sha: string;
  ref: string;
  environment: string;
  createdAt: string;
  payload: Record<string, unknown>;
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
  /** Deployments in an environment, newest first, at most `limit`. */
  listDeployments(environment: string, limit: number): Promise<DeploymentInfo[]>;
  /** The state of the deployment's newest status, or null when it has none. */
  latestStatus(deploymentId: number): Promise<DeploymentState | null>;
  createDeployment(input: { ref: string; environment: string; payload: Record<string, unknown>; description: string }): Promise<DeploymentInfo>;
  createStatus(deploymentId: number, status: StatusInput): Promise<void>;
  /** Updates the issue comment that contains `marker`, or creates one. */
  upsertComment(issueNumber: number, marker: string, body: string): Promise<CommentRef>;
  /**
   * A file of any repository the token can read (for the configuration's `_extends`), or null when
   * it does not exist. Same contract as `ConfigSource.read` in src/config/load.ts.
   */
  read(loc: { owner: string; repo: string; path: string; ref?: string }): Promise<string | null>;
}

/** GitHub's limit on deployment status descriptions. */
export const STATUS_DESCRIPTION_LIMIT = 140;

/** Cuts a description to GitHub's 140-character limit, marking the cut with an ellipsis. */
export function fitDescription(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= STATUS_DESCRIPTION_LIMIT ? oneLine : `${oneLine.slice(0, STATUS_DESCRIPTION_LIMIT - 1)}…`;
}
