import { GitHubError, type CommentRef, type DeployGitHub, type DeploymentInfo, type DeploymentState, type StatusInput } from './github.js';

/** A recorded status, as the fake stores it. */
export interface FakeStatus extends StatusInput {
  deploymentId: number;
}

/** In-memory GitHub for unit tests: deployments, statuses and comments of one repository. */
export class FakeDeployGitHub implements DeployGitHub {
  readonly deployments: DeploymentInfo[] = [];
  readonly statuses: FakeStatus[] = [];
  readonly comments: { id: number; issue: number; body: string }[] = [];
  /** Files of other repositories, keyed `owner/repo:path`. */
  readonly files = new Map<string, string>();
  /** Operations that throw a GitHubError, by method name. */
  readonly failing = new Set<keyof DeployGitHub>();
  private nextId = 1000;
  private clock = Date.parse('2026-01-01T00:00:00Z');

  /** Adds a deployment (and optionally its statuses, oldest first); returns it. */
  addDeployment(d: { sha: string; environment: string; payload?: Record<string, unknown>; states?: DeploymentState[]; ref?: string }): DeploymentInfo {
    const dep: DeploymentInfo = {
      id: ++this.nextId,
      sha: d.sha,
      ref: d.ref ?? d.sha,
      environment: d.environment,
      createdAt: new Date((this.clock += 60_000)).toISOString(),
      payload: d.payload ?? {},
    };
    this.deployments.push(dep);
    for (const state of d.states ?? []) this.statuses.push({ deploymentId: dep.id, state, description: state });
    return dep;
  }

  /** The states set on a deployment, oldest first. */
  statesOf(id: number): DeploymentState[] {
    return this.statuses.filter((s) => s.deploymentId === id).map((s) => s.state);
  }

  private check(op: keyof DeployGitHub): void {
    if (this.failing.has(op)) throw new GitHubError(`${op}: HTTP 502 Bad Gateway`, 502);
  }

  async getDeployment(id: number): Promise<DeploymentInfo | null> {
    this.check('getDeployment');
    return this.deployments.find((d) => d.id === id) ?? null;
  }

  async listDeployments(environment: string, limit: number): Promise<DeploymentInfo[]> {
    this.check('listDeployments');
    return this.deployments
      .filter((d) => d.environment === environment)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id - a.id)
      .slice(0, limit);
  }

  async latestStatus(deploymentId: number): Promise<DeploymentState | null> {
    this.check('latestStatus');
    const states = this.statesOf(deploymentId);
    return states[states.length - 1] ?? null;
  }

  async createDeployment(input: { ref: string; environment: string; payload: Record<string, unknown>; description: string }): Promise<DeploymentInfo> {
    this.check('createDeployment');
    return this.addDeployment({ sha: input.ref, environment: input.environment, payload: input.payload });
  }

  async createStatus(deploymentId: number, status: StatusInput): Promise<void> {
    this.check('createStatus');
    if (!this.deployments.some((d) => d.id === deploymentId)) throw new GitHubError(`no deployment ${deploymentId}`, 404);
    if (status.description.length > 140) throw new GitHubError('description is too long (maximum is 140 characters)', 422);
    this.statuses.push({ deploymentId, ...status });
  }

  async read(loc: { owner: string; repo: string; path: string; ref?: string }): Promise<string | null> {
    this.check('read');
    return this.files.get(`${loc.owner}/${loc.repo}:${loc.path}`) ?? null;
  }

  async upsertComment(issueNumber: number, marker: string, body: string): Promise<CommentRef> {
    this.check('upsertComment');
    const existing = this.comments.find((c) => c.issue === issueNumber && c.body.includes(marker));
    if (existing) {
      existing.body = body;
      return { id: existing.id, url: `https://github.test/comments/${existing.id}`, created: false };
    }
    const c = { id: ++this.nextId, issue: issueNumber, body };
    this.comments.push(c);
    return { id: c.id, url: `https://github.test/comments/${c.id}`, created: true };
  }
}
