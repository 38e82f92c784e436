import type { CommitFact, Listing, PushFact } from '../facts/types.js';
import type { RouteData } from './client.js';
import { shortSha } from '../text.js';

/** One entry of GitHub's repository activity log (`GET /repos/{owner}/{repo}/activity`), the fields attribution reads. */
export type ApiActivity = Pick<RouteData<'GET /repos/{owner}/{repo}/activity'>[number], 'id' | 'before' | 'after' | 'ref' | 'timestamp' | 'activity_type'> & {
  actor: { login: string } | null;
};

/** The `after` cursor of the `rel="next"` link, if any (the activity log pages by cursor). */
export function nextCursor(headers: Record<string, unknown>): string | null {
  const link = headers.link;
  if (typeof link !== 'string') return null;
  for (const part of link.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="next"/.exec(part);
    if (!m) continue;
    try {
      return new URL(m[1]!).searchParams.get('after');
    } catch {
      return null;
    }
  }
  return null;
}

/** How many pages of the activity log are read at most (100 entries each). */
export const ACTIVITY_PAGES = 10;

/**
 * Who pushed each commit of the range, from GitHub's own record of the head branch's ref updates
 * (pushes, merges, force pushes), newest first. A ref update that moved the branch from `before` to
 * `after` introduced the range commits reachable from `after` but not from `before` (reachability
 * computed within the range from the commits' parents); its actor pushed them. When `before` is not
 * in the range (the first update after the base, or a force push over rewritten history) every range
 * commit reachable from `after` is attributed to it — more people excluded, never fewer. Commits no
 * entry accounts for make the listing incomplete, naming them: the gate then fails closed.
 */
export async function attributePushes(
  range: readonly CommitFact[],
  headRef: string,
  page: (cursor: string | null) => Promise<{ items: ApiActivity[]; next: string | null }>,
): Promise<Listing<PushFact>> {
  const bySha = new Map(range.map((c) => [c.sha, c]));
  const reach = new Map<string, Set<string>>();
  const ancestors = (sha: string): Set<string> => {
    const known = reach.get(sha);
    if (known) return known;
    const out = new Set<string>();
    const stack = [sha];
    while (stack.length) {
      const x = stack.pop()!;
      if (out.has(x) || !bySha.has(x)) continue;
      out.add(x);
      for (const p of bySha.get(x)!.parents) stack.push(p);
    }
    reach.set(sha, out);
    return out;
  };
  const pushers = new Map<string, Set<string>>(range.map((c) => [c.sha, new Set<string>()]));
  const pending = new Set(range.map((c) => c.sha));
  let cursor: string | null = null;
  for (let n = 0; n < ACTIVITY_PAGES && pending.size > 0; n++) {
    const { items, next } = await page(cursor);
    for (const a of items) {
      if (a.activity_type === 'branch_deletion' || !bySha.has(a.after)) continue;
      const before = bySha.has(a.before) ? ancestors(a.before) : new Set<string>();
      for (const sha of ancestors(a.after)) {
        if (before.has(sha)) continue;
        if (a.actor?.login) pushers.get(sha)!.add(a.actor.login);
        pending.delete(sha);
      }
    }
    if (!next || items.length === 0) break;
    cursor = next;
  }
  const items = range.map((c) => ({ sha: c.sha, pushers: [...pushers.get(c.sha)!] }));
  if (pending.size > 0) {
    const shown = [...pending].slice(0, 5).map((s) => shortSha(s));
    return {
      complete: false,
      items,
      reason: `GitHub's activity log of ${headRef} does not say who pushed ${pending.size} commit(s) of the range (${shown.join(', ')}${pending.size > 5 ? ', …' : ''})`,
    };
  }
  return { complete: true, items };
}
