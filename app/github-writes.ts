import type { GitHubRequester } from '../src/github/client.js';
import type { CheckOutput } from '../src/render/gate.js';

import { CHECK_NAME } from '../src/protocol/check.js';

export { upsertComment } from './comment-writes.js';
export { CHECK_NAME } from '../src/protocol/check.js';

interface RepoRef {
  owner: string;
  repo: string;
}

/** Posts a new `stagegate` check run on a commit with the given output. */
export async function publishCheck(client: GitHubRequester, where: RepoRef & { headSha: string; output: CheckOutput; externalId?: string }): Promise<number> {
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
    ...(where.externalId ? { external_id: where.externalId } : {}),
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
