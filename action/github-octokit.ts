import type { getOctokit } from '@actions/github';
import { GitHubError, type CommentRef, type DeployGitHub, type DeploymentInfo, type DeploymentState, type StatusInput } from '../src/deploy/github.js';

type Octokit = ReturnType<typeof getOctokit>;

interface RawDeployment {
  id: number;
  sha: string;
  ref: string;
  environment: string;
  created_at: string;
  payload: unknown;
}

function toInfo(d: RawDeployment): DeploymentInfo {
  let payload: Record<string, unknown> = {};
  if (d.payload && typeof d.payload === 'object' && !Array.isArray(d.payload)) payload = d.payload as Record<string, unknown>;
  else if (typeof d.payload === 'string' && d.payload.trim().startsWith('{')) {
    try {
      payload = JSON.parse(d.payload) as Record<string, unknown>;
    } catch {
      payload = {};
    }
  }
  return { id: d.id, sha: d.sha, ref: d.ref, environment: d.environment, createdAt: d.created_at, payload };
}

function wrap(what: string, err: unknown): GitHubError {
  const e = err as { status?: number; message?: string };
  return new GitHubError(`${what}: ${e.status ? `HTTP ${e.status}: ` : ''}${e.message ?? String(err)}`, typeof e.status === 'number' ? e.status : null);
}

/** How many pages of PR comments are searched for the marker (100 comments a page). */
const COMMENT_PAGES = 20;

/** `DeployGitHub` over the REST API, for one repository. */
export class OctokitDeployGitHub implements DeployGitHub {
  constructor(
    private readonly octokit: Octokit,
    private readonly owner: string,
    private readonly repo: string,
  ) {}

  async getDeployment(id: number): Promise<DeploymentInfo | null> {
    try {
      const { data } = await this.octokit.rest.repos.getDeployment({ owner: this.owner, repo: this.repo, deployment_id: id });
      return toInfo(data);
    } catch (err) {
      if ((err as { status?: number }).status === 404) return null;
      throw wrap(`GET deployment ${id}`, err);
    }
  }

  async listDeployments(environment: string, limit: number): Promise<DeploymentInfo[]> {
    try {
      const { data } = await this.octokit.rest.repos.listDeployments({ owner: this.owner, repo: this.repo, environment, per_page: Math.min(100, limit) });
      return data.map(toInfo);
    } catch (err) {
      throw wrap(`list deployments of ${environment}`, err);
    }
  }

  async latestStatus(deploymentId: number): Promise<DeploymentState | null> {
    try {
      const { data } = await this.octokit.rest.repos.listDeploymentStatuses({ owner: this.owner, repo: this.repo, deployment_id: deploymentId, per_page: 1 });
      return (data[0]?.state as DeploymentState | undefined) ?? null;
    } catch (err) {
      throw wrap(`list statuses of deployment ${deploymentId}`, err);
    }
  }

  async createDeployment(input: { ref: string; environment: string; payload: Record<string, unknown>; description: string }): Promise<DeploymentInfo> {
    let data: unknown;
    try {
      ({ data } = await this.octokit.rest.repos.createDeployment({
        owner: this.owner,
        repo: this.repo,
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
        owner: this.owner,
        repo: this.repo,
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
      if ((err as { status?: number }).status === 404) return null;
      throw wrap(`read ${loc.owner}/${loc.repo}:${loc.path}`, err);
    }
    const file = data as { type?: string; encoding?: string; content?: string };
    if (Array.isArray(data) || file.type !== 'file') throw new GitHubError(`${loc.owner}/${loc.repo}:${loc.path} is not a file`, 200);
    if (file.encoding !== 'base64' || typeof file.content !== 'string') throw new GitHubError(`${loc.owner}/${loc.repo}:${loc.path} is too large to read through the contents API`, 200);
    return Buffer.from(file.content, 'base64').toString('utf8');
  }

  async upsertComment(issueNumber: number, marker: string, body: string): Promise<CommentRef> {
    try {
      for (let page = 1; page <= COMMENT_PAGES; page++) {
        const { data } = await this.octokit.rest.issues.listComments({ owner: this.owner, repo: this.repo, issue_number: issueNumber, per_page: 100, page });
        const found = data.find((c) => (c.body ?? '').includes(marker));
        if (found) {
          const { data: updated } = await this.octokit.rest.issues.updateComment({ owner: this.owner, repo: this.repo, comment_id: found.id, body });
          return { id: updated.id, url: updated.html_url, created: false };
        }
        if (data.length < 100) break;
      }
      const { data: created } = await this.octokit.rest.issues.createComment({ owner: this.owner, repo: this.repo, issue_number: issueNumber, body });
      return { id: created.id, url: created.html_url, created: true };
    } catch (err) {
      throw wrap(`upsert the comment on #${issueNumber}`, err);
    }
  }
}
