/** `status` and `simple-commit-status`. */
import type { GitHubSandbox } from '../github-sandbox.js';
import type { RepoState, StatusState } from '../state.js';
import { nodeId } from './common.js';
import { repoApiUrl } from './repos.js';
import { userJson } from './users.js';

export function statusJson(sb: GitHubSandbox, r: RepoState, s: StatusState, simple = false): Record<string, unknown> {
  const b = sb.bases;
  const out: Record<string, unknown> = {
    url: `${repoApiUrl(b, r)}/statuses/${s.sha}`,
    avatar_url: `${b.web}/avatars/u/${s.creator.id}?v=4`,
    id: s.id,
    node_id: nodeId('StatusContext', s.id),
    state: s.state,
    description: s.description,
    target_url: s.targetUrl,
    context: s.context,
    created_at: s.createdAt,
    updated_at: s.createdAt,
  };
  if (!simple) out.creator = userJson(b, s.creator);
  return out;
}
