import { loadConfig } from '../src/config/load.js';
import { releaseOf } from '../src/config/schema.js';
import type { DeployGitHub, DeploymentInfo } from '../src/deploy/github.js';
import { findPreviousVerified } from '../src/deploy/previous.js';
import { isNotFound, statusOf, type GitHubRequester } from '../src/github/client.js';
import { loginOf } from '../src/github/commits.js';
import { githubConfigSource } from '../src/github/config-source.js';
import type { EvidenceRun, EvidenceStatus, TrustPolicy, VerificationVerdict } from '../src/protocol/evidence.js';
import { fillTemplate } from '../src/promotion/standing-pr.js';
import { noteEntries } from '../src/release-notes/model.js';
import { readReleaseNotes } from '../src/release-notes/github.js';
import { renderRelease, releaseMarker } from '../src/release-notes/release.js';
import { mergeApprovalKey } from './audit-records.js';
import type { AppDeps } from './deps.js';

/** What publishing did for one verified deployment. */
export type ReleaseOutcome =
  { kind: 'none'; why: string } | { kind: 'already'; tag: string | null } | { kind: 'published'; tag: string; url: string; releaseId: number } | { kind: 'failed'; why: string };

/** The read side of the Action's GitHub port, over the app's client: what the previous-verified search needs. */
export function deploymentReads(client: GitHubRequester, owner: string, repo: string): Pick<DeployGitHub, 'listDeployments' | 'listStatuses' | 'getRun'> {
  const base = { owner, repo };
  return {
    async listDeployments(environment, limit, sha) {
      const list = (await client.request('GET /repos/{owner}/{repo}/deployments', { ...base, environment, per_page: Math.min(100, limit), ...(sha ? { sha } : {}) })).data;
      return list.map((d): DeploymentInfo => ({
        id: Number(d.id),
        sha: d.sha,
        ref: d.ref,
        environment: d.environment,
        createdAt: d.created_at,
        payload: d.payload,
        creator: loginOf(d.creator),
        performedViaApp: d.performed_via_github_app ? { id: d.performed_via_github_app.id, slug: d.performed_via_github_app.slug ?? null } : null,
      }));
    },
    async listStatuses(id) {
      const list = (await client.request('GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', { ...base, deployment_id: id, per_page: 100 })).data;
      return list.map((s): EvidenceStatus => ({
        id: Number(s.id),
        state: s.state,
        description: s.description ?? null,
        logUrl: s.log_url ?? null,
        targetUrl: s.target_url ?? null,
        createdAt: s.created_at,
        creator: loginOf(s.creator),
        performedViaApp: s.performed_via_github_app ? { id: s.performed_via_github_app.id, slug: s.performed_via_github_app.slug ?? null } : null,
      }));
    },
    async getRun(id) {
      try {
        const r = (await client.request('GET /repos/{owner}/{repo}/actions/runs/{run_id}', { ...base, run_id: id })).data;
        return {
          id: Number(r.id),
          repository: r.repository.full_name,
          path: r.path,
          headBranch: r.head_branch,
          headSha: r.head_sha,
          event: r.event,
          status: r.status,
          conclusion: r.conclusion,
          displayTitle: r.display_title,
          updatedAt: r.updated_at,
          htmlUrl: r.html_url,
        } satisfies EvidenceRun;
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    },
  };
}

/** The key of a deployment's `release.published` record. */
export function releaseKey(repository: string, deploymentId: number): string {
  return `release:${repository}:${deploymentId}:published`;
}

/**
 * Publishes the GitHub Release of a deployment whose verification is trusted (`verdict` must be
 * `verified`: a successful run of the protected deploy workflow bound to it). A failed or
 * rolled-back deployment is never verified, so it publishes nothing, and the next verified one's
 * notes start from the previous *verified* deployment (the same evidence as the rollback target),
 * so they cover its changes. The stage and its `release` settings come from the policy that
 * approved the merge (`merge.approved`); the tag is the stage's template, `{n}` counting the day's
 * Releases. Idempotent: the audit record, and a marker naming the deployment in the Release body.
 */
export async function publishRelease(
  deps: AppDeps,
  client: GitHubRequester,
  repo: { owner: string; repo: string; defaultBranch: string; repoUrl: string },
  d: DeploymentInfo,
  verdict: VerificationVerdict,
): Promise<ReleaseOutcome> {
  if (verdict.kind !== 'verified') return { kind: 'none', why: `deployment ${d.id} is not verified (${verdict.kind})` };
  const repository = `${repo.owner}/${repo.repo}`;
  if (await deps.store.findByKey(releaseKey(repository, d.id))) return { kind: 'already', tag: null };
  const approval = await deps.store.findByKey(mergeApprovalKey(repository, d.environment, d.sha));
  if (!approval) return { kind: 'none', why: `no merge of ${d.sha.slice(0, 7)} into ${d.environment} was approved by Stagegate` };
  const policy = approval.details.policy as { source?: { ref?: string }; workflow?: { path?: string; ref?: string } } | undefined;
  const ref = policy?.source?.ref;
  if (!ref) return { kind: 'none', why: `the merge approval of ${d.sha.slice(0, 7)} names no policy` };
  const loaded = await loadConfig({ source: githubConfigSource(client), owner: repo.owner, repo: repo.repo, baseRef: ref, defaultBranch: repo.defaultBranch });
  if (loaded.kind !== 'ok') return { kind: 'none', why: `the approving policy at ${ref.slice(0, 7)} cannot be read (${loaded.kind})` };
  const config = loaded.config;
  const stage = config.stages.find((s) => s.name === d.environment);
  if (!stage) return { kind: 'none', why: `the approving policy has no stage ${d.environment}` };
  const settings = releaseOf(config, stage);
  if (!settings) return { kind: 'none', why: `stage ${stage.name} publishes no Releases` };

  const self = await deps.self();
  const trust: TrustPolicy = {
    app: { id: self.id, slug: self.slug },
    repository,
    workflow: policy?.workflow?.path ?? config.deploy.workflow,
    ref: policy?.workflow?.ref ?? config.deploy.ref ?? stage.branch,
  };
  const previous = (await findPreviousVerified(deploymentReads(client, repo.owner, repo.repo), d, trust, config.deploy.mode)).previous;
  const pullRequest = typeof approval.pullRequest === 'number' ? approval.pullRequest : null;
  const notes = await readReleaseNotes(client, { owner: repo.owner, repo: repo.repo, from: previous?.sha ?? null, to: d.sha, self: pullRequest }, config);

  // Published before by this app (a crash after creating, before recording)?
  const marker = releaseMarker(d.id);
  const existing = (await client.request('GET /repos/{owner}/{repo}/releases', { owner: repo.owner, repo: repo.repo, per_page: 100 })).data;
  const mine = existing.find((r) => (r.body ?? '').includes(marker) && loginOf(r.author) === self.login);
  const date = verdict.verifiedAt.slice(0, 10);
  const pattern = new RegExp(
    `^${fillTemplate(settings.tag, { stage: stage.name, date })
      .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      .replace('\\{n\\}', '(\\d+)')}$`,
  );
  let n = 1 + Math.max(0, ...existing.map((r) => Number(pattern.exec(r.tag_name)?.[1] ?? 0)));
  let created: { id: number; tag: string; url: string } | null = mine ? { id: Number(mine.id), tag: mine.tag_name, url: mine.html_url } : null;
  for (let attempt = 0; !created && attempt < 5; attempt++, n++) {
    const values = { stage: stage.name, date, n: String(n), from: stage.from, branch: stage.branch };
    const tag = fillTemplate(settings.tag, values);
    const body = renderRelease({
      notes,
      stage: stage.name,
      sha: d.sha,
      deploymentId: d.id,
      pullRequest,
      previous: previous ? { id: previous.id, sha: previous.sha } : null,
      runUrl: verdict.run.htmlUrl,
      verifiedAt: verdict.verifiedAt,
      repoUrl: repo.repoUrl,
    });
    try {
      const res = await client.request('POST /repos/{owner}/{repo}/releases', {
        owner: repo.owner,
        repo: repo.repo,
        tag_name: tag,
        target_commitish: d.sha,
        name: settings.name ? fillTemplate(settings.name, values) : tag,
        body,
        draft: false,
        prerelease: false,
      });
      created = { id: Number(res.data.id), tag, url: res.data.html_url };
    } catch (err) {
      if (statusOf(err) !== 422) return { kind: 'failed', why: `GitHub refused the Release ${tag}: ${(err as Error).message}` };
      // The tag exists (another Release of the day): take the next number.
    }
  }
  if (!created) return { kind: 'failed', why: 'no free tag after 5 attempts' };
  await deps.store.append({
    key: releaseKey(repository, d.id),
    repository,
    stage: stage.name,
    pullRequest,
    baseSha: previous?.sha ?? null,
    headSha: d.sha,
    actor: self.login,
    kind: 'release.published',
    at: deps.now().toISOString(),
    details: {
      deploymentId: d.id,
      releaseId: created.id,
      tag: created.tag,
      url: created.url,
      sha: d.sha,
      previousDeploymentId: previous?.id ?? null,
      previousSha: previous?.sha ?? null,
      pullRequests: noteEntries(notes).map((e) => e.number),
      runId: verdict.run.id,
    },
  });
  return mine ? { kind: 'already', tag: created.tag } : { kind: 'published', tag: created.tag, url: created.url, releaseId: created.id };
}
