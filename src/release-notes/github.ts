import type { Config } from '../config/schema.js';
import type { CommitFact, Listing, MergedPullFact } from '../facts/types.js';
import { RequestBudget } from '../github/budget.js';
import { paginate, type GitHubRequester } from '../github/client.js';
import { loginOf, toCommitFacts } from '../github/commits.js';
import { readRange } from '../github/range.js';
import { buildReleaseNotes, type ReleaseNotes } from './model.js';

/** How many pages of recently updated closed PRs are searched for the range's merges. */
export const CLOSED_PULL_PAGES = 10;
/** A first deployment (nothing verified before it) lists at most this many of the newest commits. */
export const FIRST_RELEASE_COMMITS = 250;

/** The key a rebased commit keeps from its original: author, author date and message. */
const identity = (c: { author: { email: string; date: string }; message: string }): string => `${c.author.email.toLowerCase()}\u0000${c.author.date}\u0000${c.message.trim()}`;

/**
 * The pull requests merged into a range: closed PRs, most recently updated first, until they are
 * older than the range (a PR's `updated_at` is never before its merge). A PR counts when its
 * `merge_commit_sha` is in the range — a merge commit, a squash commit, or the last commit a rebase
 * merge wrote. For the PRs whose merge commit has one parent (squash or rebase), the PR's own
 * commits are read and matched to the range by author, author date and message, which a rebase
 * keeps: so every commit a rebase merge wrote is found, not only the last.
 */
export async function listMergedPulls(client: GitHubRequester, owner: string, repo: string, self: number | null, commits: readonly CommitFact[]): Promise<Listing<MergedPullFact>> {
  const bySha = new Map(commits.map((c) => [c.sha, c] as const));
  const oldest = commits.reduce<string>((min, c) => (c.author.date && (!min || c.author.date < min) ? c.author.date : min), '');
  const found: MergedPullFact[] = [];
  const seen = new Set<number>();
  let complete = false;
  for (let page = 1; page <= CLOSED_PULL_PAGES; page++) {
    const list = (await client.request('GET /repos/{owner}/{repo}/pulls', { owner, repo, state: 'closed', sort: 'updated', direction: 'desc', per_page: 100, page })).data;
    for (const p of list) {
      if (!p.merged_at || !p.merge_commit_sha || p.number === self || seen.has(p.number) || !bySha.has(p.merge_commit_sha)) continue;
      seen.add(p.number);
      found.push({
        number: p.number,
        title: p.title,
        author: loginOf(p.user) ?? 'ghost',
        htmlUrl: p.html_url,
        commits: [p.merge_commit_sha],
        labels: (p.labels ?? []).map((l) => l.name).filter((n): n is string => typeof n === 'string'),
        mergeCommitSha: p.merge_commit_sha,
        mergedAt: p.merged_at,
        headRef: p.head.ref,
        baseRef: p.base.ref,
        sameRepo: p.head.repo !== null && p.head.repo.full_name === p.base.repo.full_name,
      });
    }
    const last = list[list.length - 1];
    if (list.length < 100 || (last && oldest && last.updated_at < oldest)) {
      complete = true;
      break;
    }
  }
  // Squash or rebase: find the commits a rebase wrote (a squash commit matches none of the PR's own).
  const byIdentity = new Map<string, string[]>();
  for (const c of commits) {
    const k = identity(c);
    byIdentity.set(k, [...(byIdentity.get(k) ?? []), c.sha]);
  }
  let rebaseComplete = true;
  for (const p of found) {
    const merge = bySha.get(p.mergeCommitSha ?? '');
    if (!merge || merge.parents.length !== 1) continue;
    const own = await paginate(client, 'GET /repos/{owner}/{repo}/pulls/{pull_number}/commits', { owner, repo, pull_number: p.number }, (d) => d, { maxPages: 3 });
    if (!own.complete) rebaseComplete = false;
    for (const c of toCommitFacts(own.items)) for (const sha of byIdentity.get(identity(c)) ?? []) if (!p.commits.includes(sha)) p.commits.push(sha);
  }
  if (!complete) return { complete: false, items: found, reason: 'not every merged pull request could be listed' };
  if (!rebaseComplete) return { complete: false, items: found, reason: 'a rebase-merged pull request has more commits than were read' };
  return { complete: true, items: found };
}

/** The commits of `from..to` (or the newest of `to` when `from` is null: a first deployment), oldest first. */
export async function readNoteCommits(client: GitHubRequester, owner: string, repo: string, from: string | null, to: string): Promise<Listing<CommitFact>> {
  if (from === null) {
    const res = await client.request('GET /repos/{owner}/{repo}/commits', { owner, repo, sha: to, per_page: 100, page: 1 });
    const more = await (res.data.length === 100
      ? Promise.all([2, 3].map(async (page) => (await client.request('GET /repos/{owner}/{repo}/commits', { owner, repo, sha: to, per_page: 100, page })).data))
      : Promise.resolve([]));
    const all = [...res.data, ...more.flat()].slice(0, FIRST_RELEASE_COMMITS);
    const items = toCommitFacts(all).reverse();
    if (all.length < FIRST_RELEASE_COMMITS && (more.length === 0 || (more[more.length - 1]?.length ?? 0) < 100)) return { complete: true, items };
    return { complete: false, items, reason: `a first deployment: only the newest ${FIRST_RELEASE_COMMITS} commits are listed` };
  }
  const read = await readRange(client, new RequestBudget(), { owner, repo, base: from, head: to }, null);
  return read.complete ? { complete: true, items: read.commits } : { complete: false, items: read.commits, reason: read.reason ?? 'the commit listing is incomplete' };
}

/**
 * Reads GitHub and builds the notes of `from..to` (`from` null: a first deployment). Used where no
 * pull request's facts already hold the range: the Release, the standing PR, the Action's report.
 */
export async function readReleaseNotes(
  client: GitHubRequester,
  where: { owner: string; repo: string; from: string | null; to: string; self?: number | null },
  config: Pick<Config, 'stages' | 'release_notes'>,
): Promise<ReleaseNotes> {
  const commits = await readNoteCommits(client, where.owner, where.repo, where.from, where.to);
  let pulls: Listing<MergedPullFact> | null;
  try {
    pulls = await listMergedPulls(client, where.owner, where.repo, where.self ?? null, commits.items);
  } catch {
    pulls = null;
  }
  return buildReleaseNotes({ range: { from: where.from, to: where.to }, commits, pulls, config });
}
