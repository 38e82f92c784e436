/** Merging a pull request: a real merge (or squash) commit on the base branch. */
import type { GitHubSandbox } from '../github-sandbox.js';
import { iso } from '../json/common.js';
import { HttpError } from '../routes/route.js';
import type { Account, PullState, RepoState } from '../state.js';
import { mergeBlockers, overrides, recordBypass } from './protection.js';

/** Merges a PR with a real git merge commit on its base branch (405 while its protection is not satisfied, unless an admin overrides it). */
export async function mergePull(
  sb: GitHubSandbox,
  r: RepoState,
  pr: PullState,
  sender: Account,
  opts: { sha?: string; method?: 'merge' | 'squash' | 'rebase'; title?: string; message?: string } = {},
): Promise<string> {
  if (pr.merged) throw new HttpError(405, 'Pull Request is not mergeable');
  if (pr.state !== 'open') throw new HttpError(405, 'Pull Request is not mergeable');
  if (opts.sha && opts.sha !== pr.headSha) throw new HttpError(409, 'Head branch was modified. Review and try the merge again.');
  const baseSha = await r.git.branchSha(pr.baseRef);
  if (!baseSha) throw new HttpError(405, 'Base branch was deleted');
  const blockers = await mergeBlockers(sb, r, pr, sender);
  const bypass = overrides(sb, r, { ref: `refs/heads/${pr.baseRef}`, actor: sender, merge: true, blockers, status: 405 });
  const tree = await r.git.mergeTree(baseSha, pr.headSha);
  if (!tree) throw new HttpError(405, 'Merge conflict');
  const author = sb.identity(sender.login);
  const committer = { name: 'GitHub', email: 'noreply@github.com' };
  let sha: string;
  const method = opts.method ?? 'merge';
  if (method === 'merge') {
    const headLabel = pr.headRepo === r ? `${r.owner.login}/${pr.headRef}` : `${pr.headRepo.owner.login}/${pr.headRef}`;
    const message = `${opts.title ?? `Merge pull request #${pr.number} from ${headLabel}`}\n\n${opts.message ?? pr.title}`;
    sha = await r.git.commitTree(tree, [baseSha, pr.headSha], message, author, committer);
  } else if (method === 'squash') {
    const message = `${opts.title ?? `${pr.title} (#${pr.number})`}\n\n${opts.message ?? ''}`.trim();
    sha = await r.git.commitTree(tree, [baseSha], message, sb.identity(pr.user.login), committer);
  } else {
    // Each commit of the PR replayed onto the base, keeping its author, message and author date; committed by GitHub.
    const mb = await r.git.mergeBase(baseSha, pr.headSha);
    const own = await r.git.revList(mb, pr.headSha);
    await r.git.prefetch(own);
    let onto = baseSha;
    for (const c of own) {
      const info = await r.git.commitInfo(c);
      if (!info || info.parents.length !== 1) throw new HttpError(405, 'This branch can’t be rebased: it contains merge commits.');
      const next = await r.git.cherryPick(onto, c, info.parents[0]!);
      if (!next) throw new HttpError(405, 'Merge conflict');
      onto = await r.git.commitTree(next, [onto], info.message, info.author, committer);
    }
    sha = onto;
  }
  await r.git.updateRef(`refs/heads/${pr.baseRef}`, sha, baseSha);
  const now = iso();
  Object.assign(pr, { mergeMethod: method, merged: true, mergedBy: sender, mergeCommitSha: sha, baseShaAtMerge: baseSha, state: 'closed', closedAt: now, mergedAt: now, updatedAt: now });
  await sb.emit(r, 'pull_request', { action: 'closed', number: pr.number, pull_request: await sb.pullJson(r, pr, true) }, sender);
  if (bypass) recordBypass(r, { ref: `refs/heads/${pr.baseRef}`, pullNumber: pr.number, before: baseSha, after: sha, actor: sender, reasons: blockers });
  await sb.afterRefMoved(r, pr.baseRef, baseSha, sha, sender);
  return sha;
}

export async function merge(sb: GitHubSandbox, repo: string, number: number, user: string, opts: { sha?: string; method?: 'merge' | 'squash' | 'rebase' } = {}): Promise<string> {
  return sb.mergePull(sb.repo(repo), sb.pull(repo, number), sb.account(user), opts);
}
