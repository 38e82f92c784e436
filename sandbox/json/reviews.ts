/** `pull-request-review` (webhooks lower-case its state and send an empty body as null). */
import type { GitHubSandbox } from '../github-sandbox.js';
import type { RepoState, ReviewState } from '../state.js';
import { nodeId } from './common.js';
import { repoApiUrl, repoHtmlUrl } from './repos.js';
import { userJson } from './users.js';

export function reviewJson(sb: GitHubSandbox, r: RepoState, rv: ReviewState, forWebhook = false): Record<string, unknown> {
  const b = sb.bases;
  const prUrl = `${repoApiUrl(b, r)}/pulls/${rv.pullNumber}`;
  const html = `${repoHtmlUrl(b, r)}/pull/${rv.pullNumber}#pullrequestreview-${rv.id}`;
  const out: Record<string, unknown> = {
    id: rv.id,
    node_id: nodeId('PullRequestReview', rv.id),
    user: userJson(b, rv.user),
    body: forWebhook && rv.body === '' ? null : rv.body,
    state: forWebhook ? rv.state.toLowerCase() : rv.state,
    html_url: html,
    pull_request_url: prUrl,
    author_association: sb.authorAssociation(r, rv.user),
    _links: { html: { href: html }, pull_request: { href: prUrl } },
    commit_id: rv.commitId,
  };
  if (rv.submittedAt) out.submitted_at = rv.submittedAt;
  return out;
}
