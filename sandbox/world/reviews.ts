/** Pull request reviews: submitting (GitHub refuses the author's own approval), dismissing. */
import { fulfilRequest } from './review-requests.js';
import type { GitHubSandbox } from '../github-sandbox.js';
import { iso } from '../json/common.js';
import { HttpError } from '../routes/route.js';
import type { Account, PullState, RepoState, ReviewState } from '../state.js';

/** Submits a review as `user` (GitHub refuses approvals and change requests by the PR's author). */
export async function submitReview(sb: GitHubSandbox, r: RepoState, pr: PullState, user: Account, p: { event?: string; body?: string; commitId?: string }): Promise<ReviewState> {
  const event = p.event ?? 'PENDING';
  if (pr.user.id === user.id && (event === 'APPROVE' || event === 'REQUEST_CHANGES')) {
    throw new HttpError(422, 'Unprocessable Entity', { errors: [event === 'APPROVE' ? 'Can not approve your own pull request' : 'Can not request changes on your own pull request'] });
  }
  if ((event === 'REQUEST_CHANGES' || event === 'COMMENT') && !p.body) {
    throw new HttpError(422, 'Unprocessable Entity', { errors: [`Body is required when using ${event}`] });
  }
  let commitId = pr.headSha;
  if (p.commitId) {
    const ok = await r.git.resolve(p.commitId);
    if (!ok) throw new HttpError(422, 'Unprocessable Entity', { errors: ['Commit could not be found'] });
    commitId = ok;
  }
  const state: ReviewState['state'] = event === 'APPROVE' ? 'APPROVED' : event === 'REQUEST_CHANGES' ? 'CHANGES_REQUESTED' : event === 'COMMENT' ? 'COMMENTED' : 'PENDING';
  const review: ReviewState = { id: sb.nextId() + 80000000, pullNumber: pr.number, user, body: p.body ?? '', state, commitId, submittedAt: state === 'PENDING' ? null : iso() };
  r.reviews.set(review.id, review);
  if (state !== 'PENDING') fulfilRequest(pr, user);
  if (state !== 'PENDING') await sb.emit(r, 'pull_request_review', { action: 'submitted', review: sb.reviewJson(r, review, true), pull_request: await sb.pullJson(r, pr, true, true) }, user);
  return review;
}

export async function review(
  sb: GitHubSandbox,
  p: { repo: string; pr: number; user: string; event: 'APPROVE' | 'REQUEST_CHANGES' | 'COMMENT'; body?: string; commitId?: string },
): Promise<ReviewState> {
  const r = sb.repo(p.repo);
  const review: { event: string; body?: string; commitId?: string } = { event: p.event };
  if (p.body !== undefined) review.body = p.body;
  else if (p.event !== 'APPROVE') review.body = p.event === 'COMMENT' ? 'Comment' : 'Please change this';
  if (p.commitId !== undefined) review.commitId = p.commitId;
  return sb.submitReview(r, sb.pull(p.repo, p.pr), sb.account(p.user), review);
}

export async function dismissReview(sb: GitHubSandbox, r: RepoState, pr: PullState, review: ReviewState, sender: Account, message: string): Promise<void> {
  if (review.state !== 'APPROVED' && review.state !== 'CHANGES_REQUESTED') {
    throw new HttpError(422, 'Unprocessable Entity', { errors: [`Can not dismiss a ${review.state.toLowerCase()} pull request review`] });
  }
  review.state = 'DISMISSED';
  await sb.emit(r, 'pull_request_review', { action: 'dismissed', review: sb.reviewJson(r, review, true), pull_request: await sb.pullJson(r, pr, true, true) }, sender);
  void message;
}
