import type { getOctokit } from '@actions/github';
import { GitHubError, type CommentRef, type DeployGitHub, type DeploymentInfo, type PullInfo, type StatusInput } from '../src/deploy/github.js';
import type { AppRef, EvidenceRun, EvidenceStatus } from '../src/protocol/evidence.js';
import { isOwnComment } from '../src/protocol/markers.js';

type Octokit = ReturnType<typeof getOctokit>;

interface RawApp {
  id: number;
  slug?: string;
}
interface RawDeployment {
  id: number;
  sha: string;
  ref: string;
  environment: string;
  created_at: string;
  payload: unknown;
  creator: { login: string } | null;
  performed_via_github_app?: RawApp | null;
}

const appRef = (a: RawApp | null | undefined): AppRef | null => (a ? { id: a.id, slug: a.slug ?? null } : null);

function toInfo(d: RawDeployment): DeploymentInfo {
  return {
    id: d.id,
    sha: d.sha,
    ref: d.ref,
    environment: d.environment,
    createdAt: d.created_at,
    payload: d.payload,
    creator: d.creator?.login ?? null,
    performedViaApp: appRef(d.performed_via_github_app),
  };
}

function wrap(what: string, err: unknown): GitHubError {
  const e = err as { status?: number; message?: string };
  return new GitHubError(`${what}: ${e.status ? `HTTP ${e.status}: ` : ''}${e.message ?? String(err)}`, typeof e.status === 'number' ? e.status : null);
}

const statusOf = (err: unknown): number | undefined => (err as { status?: number }).status;

/** How many pages of PR comments are searched for the marker (100 comments a page). */
const COMMENT_PAGES = 20;

/** The account a workflow's `GITHUB_TOKEN` acts as. */
export const GITHUB_ACTIONS_BOT = 'github-actions[bot]';

/** `DeployGitHub` over the REST API, for one repository. */
export class OctokitDeployGitHub implements DeployGitHub {
  /** The login this token writes as, once known. */
  private me: string | null = null;

  constructor(
    private readonly octokit: Octokit,
    private readonly owner: string,
    private readonly repo: string,
  ) {}

  private get base(): { owner: string; repo: string } {
    return { owner: this.owner, repo: this.repo };
  }

  async getDeployment(id: number): Promise<DeploymentInfo | null> {
    try {
      const { data } = await this.octokit.rest.repos.getDeployment({ ...this.base, deployment_id: id });
      return toInfo(data);
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw wrap(`GET deployment ${id}`, err);
    }
  }

  async listDeployments(environment: string, limit: number, sha?: string): Promise<DeploymentInfo[]> {
    try {
      const { data } = await this.octokit.rest.repos.listDeployments({ ...this.base, environment, per_page: Math.min(100, limit), ...(sha ? { sha } : {}) });
      return data.map((d) => toInfo(d as RawDeployment));
    } catch (err) {
      throw wrap(`list deployments of ${environment}`, err);
    }
  }

  async listStatuses(deploymentId: number): Promise<EvidenceStatus[]> {
    try {
      const { data } = await this.octokit.rest.repos.listDeploymentStatuses({ ...this.base, deployment_id: deploymentId, per_page: 100 });
      return data.map((s) => ({
        id: s.id,
        state: s.state,
        description: s.description ?? null,
        logUrl: s.log_url ?? null,
        targetUrl: s.target_url ?? null,
        createdAt: s.created_at,
        creator: s.creator?.login ?? null,
        performedViaApp: appRef(s.performed_via_github_app as RawApp | null | undefined),
      }));
    } catch (err) {
      throw wrap(`list statuses of deployment ${deploymentId}`, err);
    }
  }

  async getRun(runId: number): Promise<EvidenceRun | null> {
    try {
      const { data } = await this.octokit.rest.actions.getWorkflowRun({ ...this.base, run_id: runId });
      return {
        id: data.id,
        repository: data.repository.full_name,
        path: data.path,
        headBranch: data.head_branch,
        headSha: data.head_sha,
        event: data.event,
        status: data.status,
        conclusion: data.conclusion,
        displayTitle: data.display_title,
        updatedAt: data.updated_at,
        htmlUrl: data.html_url,
      };
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw wrap(`GET workflow run ${runId}`, err);
    }
  }

  async getPull(number: number): Promise<PullInfo | null> {
    try {
      const { data } = await this.octokit.rest.pulls.get({ ...this.base, pull_number: number });
      return {
        number: data.number,
        state: data.state,
        merged: data.merged,
        mergeCommitSha: data.merge_commit_sha,
        headSha: data.head.sha,
        headRef: data.head.ref,
        baseRef: data.base.ref,
      };
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw wrap(`GET pull request #${number}`, err);
    }
  }

  async pullsMergedAs(sha: string): Promise<PullInfo[]> {
    try {
      const { data } = await this.octokit.rest.repos.listPullRequestsAssociatedWithCommit({ ...this.base, commit_sha: sha, per_page: 100 });
      return data
        .filter((p) => p.merged_at !== null && (p.merge_commit_sha ?? '').toLowerCase() === sha.toLowerCase())
        .map((p) => ({ number: p.number, state: p.state as PullInfo['state'], merged: true, mergeCommitSha: p.merge_commit_sha, headSha: p.head.sha, headRef: p.head.ref, baseRef: p.base.ref }));
    } catch (err) {
      throw wrap(`list pull requests of ${sha.slice(0, 7)}`, err);
    }
  }

  async parentsOf(sha: string): Promise<string[]> {
    try {
      const { data } = await this.octokit.rest.git.getCommit({ ...this.base, commit_sha: sha });
      return data.parents.map((p) => p.sha);
    } catch (err) {
      throw wrap(`GET commit ${sha.slice(0, 7)}`, err);
    }
  }

  async protectionRuleApps(environment: string): Promise<AppRef[]> {
    try {
      const { data } = await this.octokit.rest.repos.getAllDeploymentProtectionRules({ ...this.base, environment_name: environment });
      return (data.custom_deployment_protection_rules ?? []).filter((r) => r.enabled).map((r) => ({ id: r.app.id, slug: r.app.slug }));
    } catch (err) {
      if (statusOf(err) === 404) return [];
      throw wrap(`list the protection rules of environment ${environment}`, err);
    }
  }

  /** The repository's default branch. */
  async defaultBranch(): Promise<string> {
    try {
      const { data } = await this.octokit.rest.repos.get(this.base);
      return data.default_branch;
    } catch (err) {
      throw wrap(`GET repository ${this.owner}/${this.repo}`, err);
    }
  }

  async createDeployment(input: { ref: string; environment: string; payload: Record<string, unknown>; description: string }): Promise<DeploymentInfo> {
    let data: unknown;
    try {
      ({ data } = await this.octokit.rest.repos.createDeployment({
        ...this.base,
        ref: input.ref,
        environment: input.environment,
        payload: input.payload,
        description: input.description,
        auto_merge: false,
        required_contexts: [],
        transient_environment: false,
      }));
    } catch (err) {
      throw wrap(`create a deployment of ${input.ref.slice(0, 7)}`, err);
    }
    if (!data || typeof data !== 'object' || !('id' in data)) throw new GitHubError(`create a deployment of ${input.ref.slice(0, 7)}: GitHub did not create it (${JSON.stringify(data)})`, 202);
    return toInfo(data as RawDeployment);
  }

  async createStatus(deploymentId: number, status: StatusInput): Promise<void> {
    try {
      await this.octokit.rest.repos.createDeploymentStatus({
        ...this.base,
        deployment_id: deploymentId,
        state: status.state,
        description: status.description,
        ...(status.environmentUrl ? { environment_url: status.environmentUrl } : {}),
        ...(status.logUrl ? { log_url: status.logUrl } : {}),
      });
    } catch (err) {
      throw wrap(`set status ${status.state} on deployment ${deploymentId}`, err);
    }
  }

  async read(loc: { owner: string; repo: string; path: string; ref?: string }): Promise<string | null> {
    let data: unknown;
    try {
      ({ data } = await this.octokit.rest.repos.getContent({ owner: loc.owner, repo: loc.repo, path: loc.path, ...(loc.ref ? { ref: loc.ref } : {}) }));
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw wrap(`read ${loc.owner}/${loc.repo}:${loc.path}`, err);
    }
    const file = data as { type?: string; encoding?: string; content?: string };
    if (Array.isArray(data) || file.type !== 'file') throw new GitHubError(`${loc.owner}/${loc.repo}:${loc.path} is not a file`, 200);
    if (file.encoding !== 'base64' || typeof file.content !== 'string') throw new GitHubError(`${loc.owner}/${loc.repo}:${loc.path} is too large to read through the contents API`, 200);
    return Buffer.from(file.content, 'base64').toString('utf8');
  }

  /**
   * The login this token writes as: a user token's own login; an installation token (a workflow's
   * `GITHUB_TOKEN`) cannot read `/user`, and writes as `github-actions[bot]` — until a comment
   * this token created says otherwise.
   */
  private async identity(): Promise<string> {
    if (this.me) return this.me;
    try {
      const { data } = await this.octokit.rest.users.getAuthenticated();
      this.me = data.login;
    } catch {
      return GITHUB_ACTIONS_BOT;
    }
    return this.me;
  }

  async upsertComment(issueNumber: number, marker: string, body: string): Promise<CommentRef> {
    try {
      const me = await this.identity();
      for (let page = 1; page <= COMMENT_PAGES; page++) {
        const { data } = await this.octokit.rest.issues.listComments({ ...this.base, issue_number: issueNumber, per_page: 100, page });
        const found = data.find((c) => isOwnComment(c, marker, me));
        if (found) {
          const { data: updated } = await this.octokit.rest.issues.updateComment({ ...this.base, comment_id: found.id, body });
          return { id: updated.id, url: updated.html_url, created: false };
        }
        if (data.length < 100) break;
      }
      const { data: created } = await this.octokit.rest.issues.createComment({ ...this.base, issue_number: issueNumber, body });
      if (created.user?.login) this.me = created.user.login;
      return { id: created.id, url: created.html_url, created: true };
    } catch (err) {
      throw wrap(`upsert the comment on #${issueNumber}`, err);
    }
  }
}
