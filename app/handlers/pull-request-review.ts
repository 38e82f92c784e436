import type { Context } from 'probot';
import { sameRepo, type Route } from '../jobs.js';
import { jobOf } from './common.js';

/** A `pull_request_review` delivery. */
export type PullRequestReviewPayload = Context<'pull_request_review'>['payload'];

/** Routes `pull_request_review` (submitted, edited, dismissed): the PR's gate. */
export function routePullRequestReview(event: { id: string; name: string }, p: PullRequestReviewPayload): Route {
  const pr = p.pull_request;
  if (!sameRepo(pr)) return { kind: 'ignore', why: 'fork pull requests are never promotions' };
  return jobOf(event, p, { kind: 'gate', pullNumber: pr.number, headSha: pr.head.sha, event: 'pull_request_review' });
}
