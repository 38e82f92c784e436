import pLimit from 'p-limit';
import type { ChangedFileFact, CommitFact, Listing } from '../facts/types.js';
import type { RequestBudget } from './budget.js';
import type { GitHubRequester, RouteData } from './client.js';
import { toCommitFacts, type ApiCommit } from './commits.js';
import type { FactCache } from './fact-cache.js';
import { repoKey } from './fact-cache.js';
import { shortSha } from '../text.js';

/** The most commits GitHub's compare endpoint lists (100 pages of 100). */
export const COMPARE_MAX_COMMITS = 10_000;
/** Compare lists at most this many changed files, on its first page. */
export const COMPARE_FILES_LIMIT = 300;
/** Requests kept for the rest of an evaluation when deciding whether a range can be read. */
const REST_OF_EVALUATION = 12;
/** Pages read at once. */
const CONCURRENCY = 8;

/** Where a range lives. */
export interface RangeRef {
  owner: string;
  repo: string;
  base: string;
  head: string;
}

/** A range base...head as compare reports it. */
export interface RangeRead {
  /** Every commit of the range, oldest first (as far as read). */
  commits: CommitFact[];
  /** `total_commits` of the comparison. */
  total: number;
  complete: boolean;
  reason?: string;
  /** Compare's own list of changed files when it is complete (fewer than 300 files), else null. */
  files: ChangedFileFact[] | null;
  /** Tree of the merge base (the changed files are merge base → head, as in the pull request). */
  mergeBaseTree: string | null;
  /** Tree of the head commit, when the range was read to its end. */
  headTree: string | null;
}

const num = (n: number): string => n.toLocaleString('en-US');

/** The fail-closed message for a range that cannot be read within the limits. */
export function tooLargeMessage(commits: number, files: number | null, limit: string): string {
  return `too large to evaluate: ${num(commits)} commit${commits === 1 ? '' : 's'} / ${files === null ? 'an unknown number of files' : `${num(files)} file${files === 1 ? '' : 's'}`} (limit: ${limit})`;
}

function toFileFact(f: { filename: string; status: string; previous_filename?: string }): ChangedFileFact {
  return { filename: f.filename, status: f.status, ...(f.previous_filename ? { previousFilename: f.previous_filename } : {}) };
}

/**
 * Reads base...head through compare: the first page gives the total, the other pages are read in
 * parallel. Past compare's 10,000 commits, or past what the evaluation's request budget and the
 * rate limit allow, nothing more is read and the range is incomplete with a "too large to
 * evaluate" reason. `changedFiles` (the pull request's count, when the range is its own) only
 * makes that message more precise.
 */
export async function readRange(client: GitHubRequester, budget: RequestBudget, ref: RangeRef, changedFiles: number | null): Promise<RangeRead> {
  const basehead = `${ref.base}...${ref.head}`;
  const page = (n: number) => client.request('GET /repos/{owner}/{repo}/compare/{basehead}', { owner: ref.owner, repo: ref.repo, basehead, per_page: 100, page: n });
  const first = (await page(1)).data;
  const total = first.total_commits;
  const mergeBaseTree = first.merge_base_commit?.commit?.tree?.sha ?? null;
  const files = Array.isArray(first.files) && first.files.length < COMPARE_FILES_LIMIT ? first.files.map(toFileFact) : null;
  const partial = (commits: ApiCommit[], reason: string): RangeRead => ({ commits: toCommitFacts(commits), total, complete: false, reason, files, mergeBaseTree, headTree: null });
  if (total > COMPARE_MAX_COMMITS) return partial(first.commits, tooLargeMessage(total, changedFiles, `${num(COMPARE_MAX_COMMITS)} commits, the most GitHub's compare lists`));
  const pages = Math.max(1, Math.ceil(total / 100));
  const why = budget.shortfall(pages - 1 + REST_OF_EVALUATION);
  if (why) return partial(first.commits, tooLargeMessage(total, changedFiles, `${why}; reading the range needs ${num(pages - 1)} more`));
  const limit = pLimit(CONCURRENCY);
  const rest = await Promise.all(Array.from({ length: pages - 1 }, (_, i) => limit(async () => (await page(i + 2)).data.commits)));
  const all: ApiCommit[] = [...first.commits, ...rest.flat()];
  if (all.length !== total) return partial(all, `GitHub listed ${all.length} of ${total} commits`);
  const last = all[all.length - 1];
  return { commits: toCommitFacts(all), total, complete: true, files, mergeBaseTree, headTree: last?.commit.tree.sha ?? null };
}

/** The range's facts cached by its SHAs: a range never changes. Incomplete reads are not kept. */
export function cachedRange(cache: FactCache, client: GitHubRequester, budget: RequestBudget, ref: RangeRef, changedFiles: number | null): Promise<RangeRead> {
  return cache.immutable(
    `range:${repoKey(`${ref.owner}/${ref.repo}`)}:${ref.base}...${ref.head}`,
    () => readRange(client, budget, ref, changedFiles),
    (r) => r.complete,
  );
}

type TreeEntry = { path: string; mode: string; type: string; sha: string };
type TreeData = RouteData<'GET /repos/{owner}/{repo}/git/trees/{tree_sha}'>;

/** A tree listing (recursive or one level), cached by the tree's SHA. */
function readTree(client: GitHubRequester, cache: FactCache, owner: string, repo: string, sha: string, recursive: boolean): Promise<{ entries: TreeEntry[]; truncated: boolean }> {
  return cache.immutable(`tree:${repoKey(`${owner}/${repo}`)}:${sha}:${recursive ? 'r' : '1'}`, async () => {
    const res = await client.request('GET /repos/{owner}/{repo}/git/trees/{tree_sha}', { owner, repo, tree_sha: sha, ...(recursive ? { recursive: '1' } : {}) });
    const data: TreeData = res.data;
    const entries = data.tree.flatMap((e) => (e.path && e.mode && e.type && e.sha ? [{ path: e.path, mode: e.mode, type: e.type, sha: e.sha }] : []));
    return { entries, truncated: data.truncated };
  });
}

/** Files (blobs and submodules) of a tree listing, by path. */
function filesOf(entries: readonly TreeEntry[], prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of entries) if (e.type !== 'tree') out.set(prefix + e.path, `${e.mode}:${e.sha}`);
  return out;
}

function diffFiles(before: Map<string, string>, after: Map<string, string>, out: Map<string, ChangedFileFact>): void {
  for (const [path, id] of after) {
    const old = before.get(path);
    if (old === undefined) out.set(path, { filename: path, status: 'added' });
    else if (old !== id) out.set(path, { filename: path, status: 'modified' });
  }
  for (const path of before.keys()) if (!after.has(path)) out.set(path, { filename: path, status: 'removed' });
}

/**
 * The files that differ between two trees, exactly (added, removed, modified; a rename is its old
 * path removed and its new path added). Two recursive tree reads when GitHub lists both whole;
 * where a listing is truncated (over 100,000 entries or 7 MB), the trees are walked one level at a
 * time into the subtrees that differ only. Every read counts against the evaluation's budget; when
 * it runs out the listing is incomplete.
 */
export async function diffTrees(client: GitHubRequester, cache: FactCache, owner: string, repo: string, baseTree: string, headTree: string): Promise<Listing<ChangedFileFact>> {
  return cache.immutable(
    `treediff:${repoKey(`${owner}/${repo}`)}:${baseTree}...${headTree}`,
    async (): Promise<Listing<ChangedFileFact>> => {
      const out = new Map<string, ChangedFileFact>();
      if (baseTree === headTree) return { complete: true, items: [] };
      try {
        const [b, h] = await Promise.all([readTree(client, cache, owner, repo, baseTree, true), readTree(client, cache, owner, repo, headTree, true)]);
        if (!b.truncated && !h.truncated) {
          diffFiles(filesOf(b.entries), filesOf(h.entries), out);
          return { complete: true, items: [...out.values()] };
        }
        const limit = pLimit(CONCURRENCY);
        await walk(client, cache, limit, owner, repo, baseTree, headTree, '', out);
        return { complete: true, items: [...out.values()] };
      } catch (err) {
        return { complete: false, items: [...out.values()], reason: `the trees ${shortSha(baseTree)} and ${shortSha(headTree)} could not be compared: ${(err as Error).message}` };
      }
    },
    (l) => l.complete,
  );
}

async function allFiles(client: GitHubRequester, cache: FactCache, limit: ReturnType<typeof pLimit>, owner: string, repo: string, sha: string, prefix: string): Promise<Map<string, string>> {
  const whole = await limit(() => readTree(client, cache, owner, repo, sha, true));
  if (!whole.truncated) return filesOf(whole.entries, prefix);
  const level = await limit(() => readTree(client, cache, owner, repo, sha, false));
  const out = filesOf(level.entries, prefix);
  const subs = await Promise.all(level.entries.filter((e) => e.type === 'tree').map((e) => allFiles(client, cache, limit, owner, repo, e.sha, `${prefix}${e.path}/`)));
  for (const m of subs) for (const [k, v] of m) out.set(k, v);
  return out;
}

async function walk(
  client: GitHubRequester,
  cache: FactCache,
  limit: ReturnType<typeof pLimit>,
  owner: string,
  repo: string,
  base: string | null,
  head: string | null,
  prefix: string,
  out: Map<string, ChangedFileFact>,
): Promise<void> {
  if (base === head) return;
  if (base === null || head === null) {
    const files = await allFiles(client, cache, limit, owner, repo, (base ?? head) as string, prefix);
    const none = new Map<string, string>();
    diffFiles(base ? files : none, head ? files : none, out);
    return;
  }
  const [b, h] = await Promise.all([limit(() => readTree(client, cache, owner, repo, base, false)), limit(() => readTree(client, cache, owner, repo, head, false))]);
  const bm = new Map(b.entries.map((e) => [e.path, e]));
  const hm = new Map(h.entries.map((e) => [e.path, e]));
  const subwalks: Promise<void>[] = [];
  const before = new Map<string, string>();
  const after = new Map<string, string>();
  for (const name of new Set([...bm.keys(), ...hm.keys()])) {
    const eb = bm.get(name);
    const eh = hm.get(name);
    if (eb && eh && eb.sha === eh.sha && eb.mode === eh.mode) continue;
    const bt = eb?.type === 'tree' ? eb.sha : null;
    const ht = eh?.type === 'tree' ? eh.sha : null;
    if (bt || ht) subwalks.push(walk(client, cache, limit, owner, repo, bt, ht, `${prefix}${name}/`, out));
    if (eb && !bt) before.set(prefix + name, `${eb.mode}:${eb.sha}`);
    if (eh && !ht) after.set(prefix + name, `${eh.mode}:${eh.sha}`);
  }
  diffFiles(before, after, out);
  await Promise.all(subwalks);
}
