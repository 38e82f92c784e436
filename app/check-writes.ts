import { createHash } from 'node:crypto';
import { withAnchor } from '../src/audit/anchor.js';
import type { GitHubRequester } from '../src/github/client.js';
import { CHECK_NAME } from '../src/protocol/check.js';
import { ANNOTATIONS_PER_REQUEST, CONFIG_CHECK_NAME, type ConfigCheckOutput } from '../src/render/config-check.js';
import type { CheckOutput } from '../src/render/gate.js';
import type { AppDeps } from './deps.js';

export { CHECK_NAME } from '../src/protocol/check.js';

interface RepoRef {
  owner: string;
  repo: string;
}

/** Posts a new `stagegate` check run on a commit with the given output. */
export async function publishCheck(client: GitHubRequester, where: RepoRef & { headSha: string; output: CheckOutput }): Promise<number> {
  const { owner, repo, headSha, output } = where;
  const now = new Date().toISOString();
  const res = await client.request('POST /repos/{owner}/{repo}/check-runs', {
    owner,
    repo,
    name: CHECK_NAME,
    head_sha: headSha,
    status: output.status,
    ...(output.conclusion ? { conclusion: output.conclusion, completed_at: now } : {}),
    started_at: now,
    output: { title: output.title, summary: output.summary, ...(output.text ? { text: output.text } : {}) },
  });
  return Number(res.data.id);
}

/** The newest `stagegate` check run on a commit, if any. */
export async function latestOwnCheck(client: GitHubRequester, where: RepoRef & { sha: string }): Promise<{ id: number; status: string; conclusion: string | null } | null> {
  const res = await client.request('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', {
    owner: where.owner,
    repo: where.repo,
    ref: where.sha,
    check_name: CHECK_NAME,
    filter: 'latest',
    per_page: 1,
  });
  const run = res.data.check_runs[0];
  return run ? { id: Number(run.id), status: run.status, conclusion: run.conclusion } : null;
}

/** The fingerprint of a check output (what de-duplicates publishing). */
export function outputFingerprint(output: unknown): string {
  return createHash('sha256').update(JSON.stringify(output)).digest('base64');
}

/**
 * Publishes the `stagegate` check unless this process already published the identical output on the
 * head. The audit chain's head is appended to the published text as an external anchor; the
 * fingerprint is of the output without it (a growing chain is no reason to publish again).
 * Returns null when nothing was published.
 */
export async function publishOnce(deps: Pick<AppDeps, 'store' | 'published'>, client: GitHubRequester, where: RepoRef & { headSha: string; output: CheckOutput }): Promise<number | null> {
  const key = `${where.owner}/${where.repo}@${where.headSha}`;
  const fingerprint = outputFingerprint(where.output);
  if (deps.published?.get(key) === fingerprint) return null;
  const repository = `${where.owner}/${where.repo}`;
  const head = await deps.store.head(repository).catch(() => null);
  const id = await publishCheck(client, { ...where, output: withAnchor(where.output, head ? { repository, ...head } : null) });
  if (deps.published) {
    deps.published.delete(key);
    deps.published.set(key, fingerprint);
    // Bounded: the oldest heads are forgotten first (forgetting only costs one more publish).
    while (deps.published.size > 10_000) deps.published.delete(deps.published.keys().next().value as string);
  }
  return id;
}

/**
 * Fail closed: an evaluation that could not complete must not leave a green (or pending) check on
 * the head. Replaces the newest `stagegate` check with a failure naming why, unless it already is
 * one. Never throws (the caller reports the original error).
 */
export async function revokeUnevaluated(deps: Pick<AppDeps, 'published'>, client: GitHubRequester, where: RepoRef & { headSha: string }, err: Error): Promise<boolean> {
  const { owner, repo, headSha } = where;
  const previous = await latestOwnCheck(client, { owner, repo, sha: headSha }).catch(() => null);
  deps.published?.delete(`${owner}/${repo}@${headSha}`);
  if (!previous || previous.conclusion === 'failure') return false;
  const output: CheckOutput = {
    status: 'completed',
    conclusion: 'failure',
    title: 'Gate could not be evaluated',
    summary: `Stagegate could not read what it needs from GitHub (${err.message}). The gate stays closed until the next event evaluates it.`,
  };
  return publishCheck(client, { owner, repo, headSha, output }).then(
    () => true,
    () => false,
  );
}

/**
 * Publishes the `stagegate/config` check unless this process already published the identical
 * output on the head: the run is created with the first 50 annotations and the rest are added 50
 * at a time. Returns null when nothing was published.
 */
export async function publishConfigCheckOnce(deps: Pick<AppDeps, 'published'>, client: GitHubRequester, where: RepoRef & { headSha: string; output: ConfigCheckOutput }): Promise<number | null> {
  const { owner, repo, headSha, output } = where;
  const key = `${CONFIG_CHECK_NAME}:${owner}/${repo}@${headSha}`;
  const fingerprint = outputFingerprint(output);
  if (deps.published?.get(key) === fingerprint) return null;
  const batches: ConfigCheckOutput['annotations'][] = [];
  for (let i = 0; i < output.annotations.length; i += ANNOTATIONS_PER_REQUEST) batches.push(output.annotations.slice(i, i + ANNOTATIONS_PER_REQUEST));
  const text = { title: output.title, summary: output.summary };
  const now = new Date().toISOString();
  const res = await client.request('POST /repos/{owner}/{repo}/check-runs', {
    owner,
    repo,
    name: CONFIG_CHECK_NAME,
    head_sha: headSha,
    status: 'completed',
    conclusion: output.conclusion,
    started_at: now,
    completed_at: now,
    output: { ...text, ...(batches[0] ? { annotations: batches[0] } : {}) },
  });
  const id = Number(res.data.id);
  for (const annotations of batches.slice(1)) {
    await client.request('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', { owner, repo, check_run_id: id, output: { ...text, annotations } });
  }
  deps.published?.set(key, fingerprint);
  return id;
}
