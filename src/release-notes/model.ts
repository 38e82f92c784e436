import type { Config, ReleaseNotesConfig } from '../config/schema.js';
import type { CommitFact, Listing, MergedPullFact } from '../facts/types.js';

/**
 * The release-notes model: what a range of commits delivers, grouped by merged pull request and
 * label category. One model for the gate comment, the standing promotion PR, the Action's report and
 * the GitHub Release (each renders it with ./render.ts). Pure: callers read GitHub and hand in the
 * range's commits and the merged pull requests found for it.
 */

/** One merged pull request in the notes. */
export interface NoteEntry {
  number: number;
  title: string;
  /** GitHub login, or the git name where there is none. */
  author: string;
  /** Whether `author` is a login (only logins can be @-mentioned). */
  authorIsLogin: boolean;
  url: string;
  labels: string[];
  /** The range's commits it delivers, oldest first. */
  commits: string[];
}

/** A commit of the range that no merged pull request delivered (pushed directly). */
export interface NoteCommit {
  sha: string;
  subject: string;
  author: string;
  authorIsLogin: boolean;
}

/** The release notes of one range. */
export interface ReleaseNotes {
  /** From (exclusive; null: the beginning of history, a first deployment) .. to (inclusive). */
  range: { from: string | null; to: string };
  /** Non-empty categories in configuration order, the uncategorized one last. */
  categories: { title: string; entries: NoteEntry[]; uncategorized?: boolean }[];
  /** Commits outside any merged pull request, oldest first (merge commits are not listed). */
  commits: NoteCommit[];
  /** Promotion PRs (a stage's `from → branch`) in the range: never listed, their merges are not changes. */
  promotions: number[];
  /** PRs left out by `exclude_labels`. */
  excluded: number[];
  /** Logins/names of everyone credited, sorted. */
  authors: string[];
  /** Whether every commit and merged PR of the range could be read. */
  complete: boolean;
  /** Why not, when not. */
  incomplete?: string;
  /** Whether merged PRs could be listed at all (false: the notes are commits only). */
  pullsRead: boolean;
  mentions: boolean;
  /** Number of commits in the range. */
  commitCount: number;
}

/** What {@link buildReleaseNotes} needs. */
export interface ReleaseNotesInput {
  range: { from: string | null; to: string };
  /** The range's commits, oldest first. */
  commits: Listing<CommitFact>;
  /** Merged PRs whose merge commit is in the range; null when they could not be listed. */
  pulls: Listing<MergedPullFact> | null;
  /** The policy (release_notes settings, and the stages: promotion PRs are excluded). */
  config: Pick<Config, 'stages'> & { release_notes: ReleaseNotesConfig };
}

const lower = (s: string): string => s.toLowerCase();

/** Whether a merged PR is a promotion between two stages of the policy (its merge promotes, it changes nothing itself). */
export function isPromotionPull(p: MergedPullFact, stages: Config['stages']): boolean {
  if (p.headRef === undefined || p.baseRef === undefined || p.sameRepo === false) return false;
  return stages.some((s) => s.from === p.headRef && s.branch === p.baseRef);
}

/** Commits reachable from `start` through parents, within the range. */
function reach(start: readonly string[], parents: ReadonlyMap<string, readonly string[]>): Set<string> {
  const seen = new Set<string>();
  const stack = start.filter((s) => parents.has(s));
  while (stack.length) {
    const sha = stack.pop() as string;
    if (seen.has(sha)) continue;
    seen.add(sha);
    for (const p of parents.get(sha) ?? []) if (parents.has(p) && !seen.has(p)) stack.push(p);
  }
  return seen;
}

const personOf = (c: CommitFact): { author: string; authorIsLogin: boolean } => (c.author.login ? { author: c.author.login, authorIsLogin: true } : { author: c.author.name, authorIsLogin: false });

/**
 * Builds the notes. Each commit of the range belongs to at most one merged PR: the PR's own commits
 * (its merge or squash commit, the commits a rebase merge wrote, and — for a true merge — every
 * commit its merge brought in: reachable from the merge's other parents but not from its first),
 * given to the PR merged first when several could claim it. Promotion PRs and PRs with an excluded
 * label are not listed; a promotion's merge brings in changes that belong to the PRs merged before
 * it upstream, never to the promotion. The remaining non-merge commits are "outside any PR".
 */
export function buildReleaseNotes(input: ReleaseNotesInput): ReleaseNotes {
  const settings = input.config.release_notes;
  const commits = input.commits.items;
  const parents = new Map(commits.map((c) => [c.sha, c.parents] as const));
  const bySha = new Map(commits.map((c) => [c.sha, c] as const));
  const pulls = input.pulls?.items ?? [];
  const promotions = pulls.filter((p) => isPromotionPull(p, input.config.stages));
  const promotionNumbers = new Set(promotions.map((p) => p.number));
  const excludeLabels = new Set(settings.exclude_labels.map(lower));
  const excluded = pulls.filter((p) => !promotionNumbers.has(p.number) && (p.labels ?? []).some((l) => excludeLabels.has(lower(l))));
  const excludedNumbers = new Set(excluded.map((p) => p.number));

  // Ownership: earliest merge first; a promotion's merge commit is claimed (as nobody's change) but brings nothing in.
  const order = [...pulls].sort((a, b) => (a.mergedAt ?? '').localeCompare(b.mergedAt ?? '') || a.number - b.number);
  const owner = new Map<string, number>();
  for (const p of order) {
    const own = new Set(p.commits.filter((s) => bySha.has(s)));
    const merge = p.mergeCommitSha ?? null;
    if (merge && bySha.has(merge)) {
      own.add(merge);
      const ps = parents.get(merge) ?? [];
      if (ps.length >= 2 && !promotionNumbers.has(p.number)) {
        const mainline = reach(ps.slice(0, 1), parents);
        for (const s of reach(ps.slice(1), parents)) if (!mainline.has(s)) own.add(s);
      }
    }
    for (const s of own) if (!owner.has(s)) owner.set(s, p.number);
  }

  const listed = pulls.filter((p) => !promotionNumbers.has(p.number) && !excludedNumbers.has(p.number));
  const entries: NoteEntry[] = listed.map((p) => {
    const mine = commits.filter((c) => owner.get(c.sha) === p.number).map((c) => c.sha);
    const isLogin = p.author !== '' && p.author !== 'ghost';
    return { number: p.number, title: p.title.replace(/\r?\n/g, ' ').trim(), author: p.author || 'ghost', authorIsLogin: isLogin, url: p.htmlUrl, labels: p.labels ?? [], commits: mine };
  });
  // Oldest merge first within a category: the order the changes arrived in.
  const rank = new Map(order.map((p, i) => [p.number, i] as const));
  entries.sort((a, b) => (rank.get(a.number) ?? 0) - (rank.get(b.number) ?? 0));

  const categories: ReleaseNotes['categories'] = [];
  const placed = new Set<number>();
  for (const cat of settings.categories) {
    const want = new Set(cat.labels.map(lower));
    const mine = entries.filter((e) => !placed.has(e.number) && e.labels.some((l) => want.has(lower(l))));
    mine.forEach((e) => placed.add(e.number));
    if (mine.length) categories.push({ title: cat.title, entries: mine });
  }
  const rest = entries.filter((e) => !placed.has(e.number));
  if (rest.length) categories.push({ title: settings.uncategorized, entries: rest, uncategorized: true });

  const direct: NoteCommit[] = commits.filter((c) => !owner.has(c.sha) && c.parents.length < 2).map((c) => ({ sha: c.sha, subject: (c.message.split('\n')[0] ?? '').trim(), ...personOf(c) }));

  const authors = new Set<string>();
  for (const e of entries) authors.add(e.author);
  for (const c of direct) authors.add(c.author);

  const reasons: string[] = [];
  if (!input.commits.complete) reasons.push(input.commits.reason);
  if (input.pulls && !input.pulls.complete) reasons.push(input.pulls.reason);
  if (!input.pulls) reasons.push('merged pull requests could not be listed');
  return {
    range: input.range,
    categories,
    commits: direct,
    promotions: promotions.map((p) => p.number).sort((a, b) => a - b),
    excluded: excluded.map((p) => p.number).sort((a, b) => a - b),
    authors: [...authors].sort((a, b) => a.localeCompare(b)),
    complete: reasons.length === 0,
    ...(reasons.length ? { incomplete: reasons.join('; ') } : {}),
    pullsRead: input.pulls !== null,
    mentions: settings.mentions,
    commitCount: commits.length,
  };
}

/** Every merged PR the notes list, in category order. */
export function noteEntries(notes: ReleaseNotes): NoteEntry[] {
  return notes.categories.flatMap((c) => c.entries);
}

/** True when the range delivers nothing: no listed PR and no direct commit. */
export function isEmptyNotes(notes: ReleaseNotes): boolean {
  return notes.categories.length === 0 && notes.commits.length === 0;
}
