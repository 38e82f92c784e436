/** Branch updates: new branches, pushes (commits written with git), and what a moved branch does (a `push` event, PRs it heads). */
import type { GitHubSandbox, PersonRef } from '../github-sandbox.js';
import { iso } from '../json/common.js';
import type { Account, RepoState } from '../state.js';
import { emitPush, updateRef } from './pushes.js';

export async function createBranch(sb: GitHubSandbox, repo: string, branch: string, from: string): Promise<string> {
  const r = sb.repo(repo);
  const sha = await r.git.resolve(from);
  if (!sha) throw new Error(`cannot resolve ${from} in ${repo}`);
  await updateRef(sb, r, { ref: `refs/heads/${branch}`, before: null, after: sha, pusher: null });
  return sha;
}

/** Commits `files` on top of `branch` (created from the default branch when absent) as `author`. */
export async function push(
  sb: GitHubSandbox,
  repo: string,
  c: {
    branch: string;
    files: Record<string, string | null>;
    message: string;
    author: PersonRef;
    committer?: PersonRef;
    /** `Co-authored-by` trailers: a login uses the user's noreply address (as GitHub's co-author suggestions do), or a raw name and email. */
    coAuthors?: PersonRef[];
    /** Parent commit (defaults to the branch tip); a non-descendant makes this a force push. */
    parent?: string;
    from?: string;
    /** Marks the commit as signed with a signature GitHub verified (`commit.verification.verified`). */
    signed?: boolean;
    /** Who pushes it (the `push` sender and the activity log's actor); default: the committer's account. */
    pusher?: string;
  },
): Promise<string> {
  const r = sb.repo(repo);
  const before = await r.git.branchSha(c.branch);
  const parent = c.parent ?? before ?? (await r.git.resolve(c.from ?? `refs/heads/${r.defaultBranch}`));
  let message = c.message;
  if (c.coAuthors?.length) {
    const trailers = c.coAuthors.map((p) => {
      if (typeof p === 'string') {
        const a = sb.account(p);
        return `Co-authored-by: ${a.name} <${a.id}+${a.login}@users.noreply.github.com>`;
      }
      return `Co-authored-by: ${p.name} <${p.email}>`;
    });
    message = `${message.replace(/\n+$/, '')}\n\n${trailers.join('\n')}`;
  }
  const author = sb.identity(c.author);
  const committer = c.committer ? sb.identity(c.committer) : author;
  const sha = await r.git.commitFiles({ parent, files: c.files, message, author, committer });
  if (c.signed) r.signedCommits.add(sha);
  await updateRef(sb, r, { ref: `refs/heads/${c.branch}`, before, after: sha, pusher: c.pusher ? sb.account(c.pusher) : (committer.account ?? author.account) });
  return sha;
}

/** Options of {@link pushMany}. */
export interface PushManyOptions {
  /**
   * Each commit adds this many new files (`many/<branch>/<n>/…`, 100 commits a directory), so a range changes
   * `count × filesPerCommit` distinct files. Default: every commit rewrites one of 50 files.
   */
  filesPerCommit?: number;
}

/** Pushes `count` small commits to `branch` quickly (for large ranges), with one `git fast-import`. */
export async function pushMany(sb: GitHubSandbox, repo: string, branch: string, count: number, author: PersonRef, opts: PushManyOptions = {}): Promise<string[]> {
  const r = sb.repo(repo);
  const before = await r.git.branchSha(branch);
  const parent = before ?? (await r.git.resolve(`refs/heads/${r.defaultBranch}`));
  const id = sb.identity(author);
  const slug = branch.replace(/\W/g, '_');
  const per = opts.filesPerCommit;
  const filesOf = (i: number): Record<string, string> =>
    per === undefined
      ? { [`many/${slug}-${i % 50}.txt`]: `change ${i}\n` }
      : Object.fromEntries(Array.from({ length: per }, (_, j) => [`many/${slug}/${Math.floor(i / 100)}/c${i}-f${j}.txt`, `commit ${i} file ${j}\n`]));
  const series = Array.from({ length: count }, (_, i) => ({ files: filesOf(i), message: `Change ${i + 1} of ${count}`, author: id }));
  const shas = await r.git.importLinear(parent, series);
  const tip = shas[shas.length - 1];
  if (tip) {
    await updateRef(sb, r, { ref: `refs/heads/${branch}`, before, after: tip, pusher: id.account });
  }
  return shas;
}

/** After a branch moved in git: the `push` event, then PRs headed by it get `synchronize`. */
export async function afterRefMoved(sb: GitHubSandbox, r: RepoState, branch: string, before: string | null, after: string, sender: Account | null): Promise<void> {
  await emitPush(sb, r, { ref: `refs/heads/${branch}`, before, after, pusher: sender });
  for (const base of sb.repos.values()) {
    for (const pr of base.pulls.values()) {
      if (pr.state !== 'open' || pr.headRepo !== r || pr.headRef !== branch || pr.headSha === after) continue;
      const old = pr.headSha;
      pr.headSha = after;
      pr.updatedAt = iso();
      await base.git.fetchFrom(r.git, after, `refs/pull/${pr.number}/head`);
      await sb.emit(base, 'pull_request', { action: 'synchronize', number: pr.number, before: old, after, pull_request: await sb.pullJson(base, pr, true) }, sender ?? pr.user);
    }
  }
}
