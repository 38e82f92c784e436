/** Pull requests: opening (with GitHub's validations), editing, retargeting, closing and reopening. */
import type { GitHubSandbox } from '../github-sandbox.js';
import { iso } from '../json/common.js';
import { HttpError } from '../routes/route.js';
import type { Account, PullState, RepoState } from '../state.js';

export async function openPullRequest(
  sb: GitHubSandbox,
  p: { repo: string; head: string; base: string; title: string; body?: string; user: string; headRepo?: string; draft?: boolean },
): Promise<PullState> {
  const r = sb.repo(p.repo);
  const headRepo = p.headRepo ? sb.repo(p.headRepo) : r;
  return sb.createPull(r, { headRepo, headRef: p.head, baseRef: p.base, title: p.title, body: p.body ?? null, user: sb.account(p.user), draft: p.draft ?? false });
}

/** Creates a PR with GitHub's validations (throws HttpError 422 like the API). */
export async function createPull(
  sb: GitHubSandbox,
  r: RepoState,
  p: { headRepo: RepoState; headRef: string; baseRef: string; title: string; body: string | null; user: Account; draft: boolean },
): Promise<PullState> {
  const headSha = await p.headRepo.git.branchSha(p.headRef);
  const baseSha = await r.git.branchSha(p.baseRef);
  const fail = (field: string, code: string, message?: string): never => {
    throw new HttpError(422, 'Validation Failed', { errors: [{ resource: 'PullRequest', field, code, ...(message ? { message } : {}) }] });
  };
  if (!baseSha) fail('base', 'invalid');
  if (!headSha) fail('head', 'invalid');
  for (const other of r.pulls.values()) {
    if (other.state === 'open' && other.headRepo === p.headRepo && other.headRef === p.headRef && other.baseRef === p.baseRef) {
      fail('', 'custom', `A pull request already exists for ${p.headRepo.owner.login}:${p.headRef}.`);
    }
  }
  const number = r.nextNumber++;
  await r.git.fetchFrom(p.headRepo.git, headSha as string, `refs/pull/${number}/head`);
  const ahead = await r.git.revList(baseSha, headSha as string);
  if (ahead.length === 0) {
    r.nextNumber--;
    await r.git.deleteRef(`refs/pull/${number}/head`);
    fail('', 'custom', `No commits between ${p.baseRef} and ${p.headRepo === r ? p.headRef : `${p.headRepo.owner.login}:${p.headRef}`}`);
  }
  // Checked again after the awaits above: two concurrent requests must not both pass (GitHub's check is atomic).
  for (const other of r.pulls.values()) {
    if (other.state === 'open' && other.headRepo === p.headRepo && other.headRef === p.headRef && other.baseRef === p.baseRef) {
      r.nextNumber = Math.max(r.nextNumber, number + 1);
      await r.git.deleteRef(`refs/pull/${number}/head`);
      fail('', 'custom', `A pull request already exists for ${p.headRepo.owner.login}:${p.headRef}.`);
    }
  }
  const now = iso();
  const pr: PullState = {
    id: sb.nextId(),
    number,
    title: p.title,
    body: p.body,
    user: p.user,
    headRepo: p.headRepo,
    headRef: p.headRef,
    headSha: headSha as string,
    baseRef: p.baseRef,
    state: 'open',
    draft: p.draft,
    merged: false,
    mergedBy: null,
    mergeCommitSha: null,
    baseShaAtMerge: null,
    createdAt: now,
    updatedAt: now,
    closedAt: null,
    mergedAt: null,
    maintainerCanModify: p.headRepo !== r,
    labels: [],
    requestedReviewers: [],
    requestedTeams: [],
  };
  r.pulls.set(number, pr);
  await sb.emit(r, 'pull_request', { action: 'opened', number, pull_request: await sb.pullJson(r, pr, true) }, p.user);
  return pr;
}

export function pull(sb: GitHubSandbox, repo: string, number: number): PullState {
  const pr = sb.repo(repo).pulls.get(number);
  if (!pr) throw new Error(`no PR #${number} in ${repo}`);
  return pr;
}

/** Changes a PR's base (emits `pull_request.edited` with `changes.base`). */
export async function retarget(sb: GitHubSandbox, r: RepoState, pr: PullState, base: string, sender: Account, title?: string, body?: string | null, state?: 'open' | 'closed'): Promise<void> {
  const changes: Record<string, unknown> = {};
  if (base !== pr.baseRef) {
    const sha = await r.git.branchSha(base);
    if (!sha) throw new HttpError(422, 'Validation Failed', { errors: [{ resource: 'PullRequest', field: 'base', code: 'invalid' }] });
    const oldSha = await r.git.branchSha(pr.baseRef);
    changes.base = { ref: { from: pr.baseRef }, sha: { from: oldSha ?? '' } };
    pr.baseRef = base;
  }
  if (title !== undefined && title !== pr.title) {
    changes.title = { from: pr.title };
    pr.title = title;
  }
  if (body !== undefined && body !== pr.body) {
    changes.body = { from: pr.body ?? '' };
    pr.body = body;
  }
  pr.updatedAt = iso();
  if (Object.keys(changes).length) await sb.emit(r, 'pull_request', { action: 'edited', number: pr.number, changes, pull_request: await sb.pullJson(r, pr, true) }, sender);
  if (state && state !== pr.state && !pr.merged) {
    pr.state = state;
    pr.closedAt = state === 'closed' ? iso() : null;
    await sb.emit(r, 'pull_request', { action: state === 'closed' ? 'closed' : 'reopened', number: pr.number, pull_request: await sb.pullJson(r, pr, true) }, sender);
  }
}
