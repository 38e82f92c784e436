import { paginate, type GitHubRequester } from '../src/github/client.js';
import type { CheckOutput } from '../src/render/gate.js';

/** Name of the check run Stagegate posts on a promotion's head commit. */
export const CHECK_NAME = 'stagegate';

interface RepoRef {
  owner: string;
  repo: string;
}

/**
 * Creates or updates the one comment carrying `marker` (a hidden HTML comment) on an issue or PR.
 * An unchanged body is left alone; a comment is never duplicated.
 */
export async function upsertComment(
  client: GitHubRequester,
  where: RepoRef & { issueNumber: number; marker: string; body: string },
): Promise<{ id: number; action: 'created' | 'updated' | 'unchanged' }> {
  const { owner, repo, issueNumber, marker, body } = where;
  const { items } = await paginate<{ id: number; body?: string | null; user: { type?: string } | null }>(client, 'GET /repos/{owner}/{repo}/issues/{issue_number}/comments', {
    owner,
    repo,
    issue_number: issueNumber,
  });
  const mine = items.find((c) => (c.body ?? '').includes(marker) && c.user?.type === 'Bot');
  if (mine) {
    if (mine.body === body) return { id: mine.id, action: 'unchanged' };
    await client.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', { owner, repo, comment_id: mine.id, body });
    return { id: mine.id, action: 'updated' };
  }
  const res = await client.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { owner, repo, issue_number: issueNumber, body });
  return { id: (res.data as { id: number }).id, action: 'created' };
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
  return (res.data as { id: number }).id;
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
  const run = (res.data as { check_runs: { id: number; status: string; conclusion: string | null }[] }).check_runs[0];
  return run ?? null;
}
