import { parseValuesDescription } from '../protocol/verification-values.js';
import type { AppRef, EvidenceRun, EvidenceStatus } from '../protocol/evidence.js';
import { GitHubError, type CommentRef, type DeployGitHub, type DeploymentInfo, type DeploymentState, type PullInfo, type StatusInput } from './github.js';

/** The Stagegate app as the fake attributes deployments to it. */
export const FAKE_APP: AppRef = { id: 77, slug: 'stagegate' };
/** GitHub Actions, as the fake attributes workflow-token writes to it. */
export const FAKE_ACTIONS_APP: AppRef = { id: 15368, slug: 'github-actions' };

/** A recorded status, as the fake stores it. */
export interface FakeStatus extends StatusInput {
  deploymentId: number;
  id: number;
  createdAt: string;
  creator: string;
}

/**
 * In-memory GitHub for the deploy core's unit tests: deployments (with who created them),
 * statuses, workflow runs, pull requests, commits' parents, environments' protection rules and
 * comments (with their authors) of one repository. The end-to-end tests use the sandbox instead.
 */
export class FakeDeployGitHub implements DeployGitHub {
  readonly deployments: DeploymentInfo[] = [];
  readonly statuses: FakeStatus[] = [];
  readonly runs = new Map<number, EvidenceRun>();
  readonly pulls = new Map<number, PullInfo>();
  readonly parents = new Map<string, string[]>();
  readonly protection = new Map<string, AppRef[]>();
  readonly comments: { id: number; issue: number; body: string; author: string }[] = [];
  /** Files of repositories, keyed `owner/repo:path@ref` (or `owner/repo:path` for any ref). */
  readonly files = new Map<string, string>();
  /** Operations that throw a GitHubError, by method name. */
  readonly failing = new Set<keyof DeployGitHub>();
  /** Who this token writes as. */
  identity = 'github-actions[bot]';
  private nextId = 1000;
  private clock = Date.parse('2026-01-01T00:00:00Z');

  /** A fresh, later instant. */
  tick(): string {
    return new Date((this.clock += 60_000)).toISOString();
  }

  /** Adds a deployment (and optionally statuses, oldest first, written by `statusCreator`); returns it. */
  addDeployment(d: { sha: string; environment: string; payload?: unknown; states?: DeploymentState[]; ref?: string; by?: AppRef | null; creator?: string; logUrl?: string }): DeploymentInfo {
    const by = d.by === undefined ? FAKE_APP : d.by;
    const dep: DeploymentInfo = {
      id: ++this.nextId,
      sha: d.sha,
      ref: d.ref ?? d.sha,
      environment: d.environment,
      createdAt: this.tick(),
      payload: d.payload ?? {},
      creator: d.creator ?? (by ? `${by.slug ?? 'app'}[bot]` : 'mallory'),
      performedViaApp: by,
    };
    this.deployments.push(dep);
    for (const state of d.states ?? []) this.pushStatus(dep.id, { state, description: state, ...(d.logUrl ? { logUrl: d.logUrl } : {}) }, 'github-actions[bot]');
    return dep;
  }

  /** Adds a workflow run; returns it. */
  addRun(r: Partial<EvidenceRun> & { id: number }): EvidenceRun {
    const run: EvidenceRun = {
      repository: 'acme/shop',
      path: '.github/workflows/stagegate-deploy.yml',
      headBranch: 'staging',
      headSha: 'f'.repeat(40),
      event: 'workflow_dispatch',
      status: 'completed',
      conclusion: 'success',
      displayTitle: null,
      updatedAt: this.tick(),
      htmlUrl: `https://github.com/acme/shop/actions/runs/${r.id}`,
      ...r,
    };
    this.runs.set(run.id, run);
    return run;
  }

  /** Appends a status as `creator` would post it. */
  pushStatus(deploymentId: number, s: StatusInput, creator: string): FakeStatus {
    const st: FakeStatus = { deploymentId, id: ++this.nextId, createdAt: this.tick(), creator, ...s };
    this.statuses.push(st);
    return st;
  }

  /** The states set on a deployment, oldest first (the per-check values statuses apart: {@link valuesOf}). */
  statesOf(id: number): DeploymentState[] {
    return this.statuses.filter((s) => s.deploymentId === id && !parseValuesDescription(s.description)).map((s) => s.state);
  }

  /** The per-check values statuses of a deployment, oldest first, as descriptions. */
  valuesOf(id: number): string[] {
    return this.statuses.filter((s) => s.deploymentId === id && parseValuesDescription(s.description)).map((s) => s.description);
  }

  private check(op: keyof DeployGitHub): void {
    if (this.failing.has(op)) throw new GitHubError(`${op}: HTTP 502 Bad Gateway`, 502);
  }

  async getDeployment(id: number): Promise<DeploymentInfo | null> {
    this.check('getDeployment');
    return this.deployments.find((d) => d.id === id) ?? null;
  }

  async listDeployments(environment: string, limit: number, sha?: string): Promise<DeploymentInfo[]> {
    this.check('listDeployments');
    return this.deployments
      .filter((d) => d.environment === environment && (sha === undefined || d.sha === sha))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id - a.id)
      .slice(0, limit);
  }

  async listStatuses(deploymentId: number): Promise<EvidenceStatus[]> {
    this.check('listStatuses');
    return this.statuses
      .filter((s) => s.deploymentId === deploymentId)
      .reverse()
      .map((s) => ({
        id: s.id,
        state: s.state,
        description: s.description,
        logUrl: s.logUrl ?? null,
        targetUrl: s.logUrl ?? null,
        createdAt: s.createdAt,
        creator: s.creator,
        performedViaApp: s.creator === 'github-actions[bot]' ? FAKE_ACTIONS_APP : null,
      }));
  }

  async getRun(runId: number): Promise<EvidenceRun | null> {
    this.check('getRun');
    return this.runs.get(runId) ?? null;
  }

  async getPull(number: number): Promise<PullInfo | null> {
    this.check('getPull');
    return this.pulls.get(number) ?? null;
  }

  async pullsMergedAs(sha: string): Promise<PullInfo[]> {
    this.check('pullsMergedAs');
    return [...this.pulls.values()].filter((p) => p.merged && p.mergeCommitSha === sha);
  }

  async parentsOf(sha: string): Promise<string[]> {
    this.check('parentsOf');
    const p = this.parents.get(sha);
    if (!p) throw new GitHubError(`no commit ${sha}`, 404);
    return p;
  }

  async protectionRuleApps(environment: string): Promise<AppRef[]> {
    this.check('protectionRuleApps');
    return this.protection.get(environment) ?? [];
  }

  async createDeployment(input: { ref: string; environment: string; payload: Record<string, unknown>; description: string }): Promise<DeploymentInfo> {
    this.check('createDeployment');
    return this.addDeployment({
      sha: input.ref,
      environment: input.environment,
      payload: input.payload,
      by: this.identity === 'github-actions[bot]' ? FAKE_ACTIONS_APP : null,
      creator: this.identity,
    });
  }

  async createStatus(deploymentId: number, status: StatusInput): Promise<void> {
    this.check('createStatus');
    if (!this.deployments.some((d) => d.id === deploymentId)) throw new GitHubError(`no deployment ${deploymentId}`, 404);
    if (status.description.length > 140) throw new GitHubError('description is too long (maximum is 140 characters)', 422);
    this.pushStatus(deploymentId, status, this.identity);
  }

  async read(loc: { owner: string; repo: string; path: string; ref?: string }): Promise<string | null> {
    this.check('read');
    const key = `${loc.owner}/${loc.repo}:${loc.path}`;
    return this.files.get(`${key}@${loc.ref ?? ''}`) ?? this.files.get(key) ?? null;
  }

  /** Adds a comment as `author` would post it. */
  addComment(issue: number, body: string, author: string): { id: number; issue: number; body: string; author: string } {
    const c = { id: ++this.nextId, issue, body, author };
    this.comments.push(c);
    return c;
  }

  async upsertComment(issueNumber: number, marker: string, body: string): Promise<CommentRef> {
    this.check('upsertComment');
    const existing = this.comments.find((c) => c.issue === issueNumber && c.body.includes(marker) && c.author === this.identity);
    if (existing) {
      existing.body = body;
      return { id: existing.id, url: `https://github.test/comments/${existing.id}`, created: false };
    }
    const c = this.addComment(issueNumber, body, this.identity);
    return { id: c.id, url: `https://github.test/comments/${c.id}`, created: true };
  }
}
