/** Review requests and labels on pull requests (docs.github.com/rest/pulls/review-requests, /rest/issues/labels). */
import type { GitHubSandbox } from '../github-sandbox.js';
import { iso } from '../json/common.js';
import { HttpError } from '../routes/route.js';
import { userJson } from '../json/users.js';
import type { Account, PullState, RepoState, TeamState } from '../state.js';

const unprocessable = (message: string): never => {
  throw new HttpError(422, message);
};

/**
 * Requests reviews as `POST .../pulls/{n}/requested_reviewers` does: users must be collaborators
 * (never the PR's author), teams must be teams of the repository's organization. Emits one
 * `pull_request.review_requested` per new request. Requesting someone already requested changes nothing.
 */
export async function requestReviewers(sb: GitHubSandbox, r: RepoState, pr: PullState, sender: Account, req: { reviewers: string[]; teamReviewers: string[] }): Promise<void> {
  if (pr.state !== 'open') unprocessable('Reviews may only be requested on open pull requests');
  const users: Account[] = [];
  for (const login of req.reviewers) {
    const a = sb.accounts.get(login.toLowerCase());
    if (!a) unprocessable(`Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the ${r.owner.login}/${r.name} repository.`);
    if (a!.id === pr.user.id) unprocessable('Review cannot be requested from pull request author.');
    if (sb.permissionOf(r, a!.login) === 'none')
      unprocessable(`Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the ${r.owner.login}/${r.name} repository.`);
    users.push(a!);
  }
  const teams: TeamState[] = [];
  for (const slug of req.teamReviewers) {
    const t = sb.teams.get(`${r.owner.login.toLowerCase()}/${slug.toLowerCase()}`);
    if (!t || r.owner.type !== 'Organization')
      unprocessable(`Reviews may only be requested from collaborators. One or more of the teams you specified is not a collaborator of the ${r.owner.login}/${r.name} repository.`);
    teams.push(t!);
  }
  const fresh = { users: users.filter((u) => !pr.requestedReviewers.some((x) => x.id === u.id)), teams: teams.filter((t) => !pr.requestedTeams.some((x) => x.id === t.id)) };
  pr.requestedReviewers.push(...fresh.users);
  pr.requestedTeams.push(...fresh.teams);
  if (fresh.users.length || fresh.teams.length) pr.updatedAt = iso();
  for (const u of fresh.users)
    await sb.emit(r, 'pull_request', { action: 'review_requested', number: pr.number, requested_reviewer: userJson(sb.bases, u), pull_request: await sb.pullJson(r, pr, true) }, sender);
  for (const t of fresh.teams)
    await sb.emit(r, 'pull_request', { action: 'review_requested', number: pr.number, requested_team: sb.teamJson(t), pull_request: await sb.pullJson(r, pr, true) }, sender);
}

/** Withdraws review requests (`DELETE .../requested_reviewers`). */
export function removeReviewRequests(pr: PullState, req: { reviewers: string[]; teamReviewers: string[] }): void {
  const logins = new Set(req.reviewers.map((l) => l.toLowerCase()));
  const slugs = new Set(req.teamReviewers.map((s) => s.toLowerCase()));
  pr.requestedReviewers = pr.requestedReviewers.filter((u) => !logins.has(u.login.toLowerCase()));
  pr.requestedTeams = pr.requestedTeams.filter((t) => !slugs.has(t.slug.toLowerCase()));
}

/** A submitted review fulfils its author's request, as on GitHub. */
export function fulfilRequest(pr: PullState, reviewer: Account): void {
  pr.requestedReviewers = pr.requestedReviewers.filter((u) => u.id !== reviewer.id);
}

/** Adds labels to an issue or PR (`POST .../issues/{n}/labels`); unknown labels are created, as GitHub does. */
export function addLabels(r: RepoState, pr: PullState, names: string[]): void {
  for (const name of names) {
    if (!r.labels.has(name.toLowerCase())) r.labels.set(name.toLowerCase(), { id: r.labels.size + 9_000_001, name, color: 'ededed', description: null });
    if (!pr.labels.some((l) => l.toLowerCase() === name.toLowerCase())) pr.labels.push(r.labels.get(name.toLowerCase())!.name);
  }
  pr.updatedAt = iso();
}
