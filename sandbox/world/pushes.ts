/**
 * Ref updates as GitHub sees them: every branch or tag that is created, moved or deleted — by a push, a merge or
 * the git refs API — goes through {@link updateRef} (branch protection first, then the git ref, then the `push`
 * webhook and, for branches, the PRs it heads).
 */
import type { GitHubSandbox } from '../github-sandbox.js';
import { iso } from '../json/common.js';
import { repoHtmlUrl } from '../json/repos.js';
import type { Account, RepoState } from '../state.js';
import { overrides, pushBlockers, recordBypass } from './protection.js';

const ZERO = '0'.repeat(40);
/** GitHub's `push` payload lists at most this many commits (docs: "The array includes a maximum of 2048 commits"). */
const MAX_PUSH_COMMITS = 2048;

/** One ref update: `before` null creates the ref, `after` null deletes it. */
export interface RefUpdate {
  /** Full ref name (`refs/heads/main`, `refs/tags/v1`). */
  ref: string;
  before: string | null;
  after: string | null;
  /** Who pushes (the `pusher` and `sender`); null for a raw git identity with no account (the owner is then the sender). */
  pusher: Account | null;
}

/** Moves a ref (compare-and-swap on `before`) if branch protection lets `pusher` (422 otherwise), and reports it as GitHub does. */
export async function updateRef(sb: GitHubSandbox, r: RepoState, u: RefUpdate): Promise<void> {
  const blockers = await pushBlockers(sb, r, u.ref, u.before, u.after, u.pusher);
  const bypass = overrides(sb, r, { ref: u.ref, actor: u.pusher, merge: false, blockers, status: 422 });
  if (u.after === null) await r.git.deleteRef(u.ref);
  else await r.git.updateRef(u.ref, u.after, u.before);
  if (u.ref.startsWith('refs/heads/') && u.after !== null) await sb.afterRefMoved(r, u.ref.slice('refs/heads/'.length), u.before, u.after, u.pusher);
  else await emitPush(sb, r, u);
  if (bypass && u.pusher) recordBypass(r, { ref: u.ref, pullNumber: null, before: u.before, after: u.after, actor: u.pusher, reasons: blockers });
}

/** Emits the `push` webhook of a ref update that already happened in git. */
export async function emitPush(sb: GitHubSandbox, r: RepoState, u: RefUpdate): Promise<void> {
  r.pushedAt = iso();
  const created = u.before === null;
  const deleted = u.after === null;
  const forced = !created && !deleted && !(await r.git.isAncestor(u.before as string, u.after as string));
  const others = (await r.git.listBranches()).filter((b) => `refs/heads/${b.name}` !== u.ref).map((b) => b.sha);
  let shas: string[] = [];
  if (!deleted) shas = created ? await r.git.revListExcluding(u.after as string, others) : await r.git.revList(u.before, u.after as string);
  shas = shas.slice(-MAX_PUSH_COMMITS);
  const distinct = new Set(deleted || shas.length === 0 ? [] : await r.git.revListExcluding(u.after as string, [...others, ...(u.before ? [u.before] : [])]));
  await r.git.prefetch(shas);
  const paths = await r.git.changedPaths(shas);
  const commits = [];
  for (const sha of shas) commits.push(await pushCommit(sb, r, sha, distinct.has(sha), paths.get(sha)));
  const head = deleted
    ? null
    : (commits.find((c) => c.id === u.after) ?? (await pushCommit(sb, r, u.after as string, distinct.has(u.after as string), (await r.git.changedPaths([u.after as string])).get(u.after as string))));
  const html = repoHtmlUrl(sb.bases, r);
  const short = (s: string | null): string => (s ?? ZERO).slice(0, 12);
  const sender = u.pusher ?? r.owner;
  // GitHub's own record of who moved the ref (`GET /repos/{owner}/{repo}/activity`).
  const merged = !deleted && [...r.pulls.values()].some((p) => p.merged && p.mergeCommitSha === u.after);
  r.activity.push({
    id: sb.nextId() + 70_000_000,
    ref: u.ref,
    before: u.before ?? ZERO,
    after: u.after ?? ZERO,
    timestamp: r.pushedAt,
    activityType: created ? 'branch_creation' : deleted ? 'branch_deletion' : forced ? 'force_push' : merged ? 'pr_merge' : 'push',
    actor: sender.type === 'Organization' ? null : sender,
  });
  await sb.emit(
    r,
    'push',
    {
      ref: u.ref,
      before: u.before ?? ZERO,
      after: u.after ?? ZERO,
      created,
      deleted,
      forced,
      base_ref: null,
      compare: created ? `${html}/compare/${u.ref.replace(/^refs\/(heads|tags)\//, '')}` : `${html}/compare/${short(u.before)}...${short(u.after)}`,
      commits,
      head_commit: head,
      pusher: { name: sender.login, email: sender.type === 'Organization' ? null : (sender.emails[0] ?? null) },
    },
    sender,
  );
}

async function pushCommit(sb: GitHubSandbox, r: RepoState, sha: string, distinct: boolean, p: { added: string[]; removed: string[]; modified: string[] } | undefined) {
  const c = await sb.commitView(r, sha);
  const who = (g: { name: string; email: string; date: string }, a: Account | null): Record<string, unknown> => ({ name: g.name, email: g.email, date: g.date, ...(a ? { username: a.login } : {}) });
  return {
    id: c.sha,
    tree_id: c.tree,
    distinct,
    message: c.message,
    timestamp: c.committer.date,
    url: `${repoHtmlUrl(sb.bases, r)}/commit/${c.sha}`,
    author: who(c.author, c.authorAccount),
    committer: who(c.committer, c.committerAccount),
    added: p?.added ?? [],
    removed: p?.removed ?? [],
    modified: p?.modified ?? [],
  };
}
