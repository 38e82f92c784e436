/** `release`. */
import type { GitHubSandbox } from '../github-sandbox.js';
import type { ReleaseState, RepoState } from '../state.js';
import { nodeId } from './common.js';
import { repoApiUrl, repoHtmlUrl } from './repos.js';
import { userJson } from './users.js';

export function releaseJson(sb: GitHubSandbox, r: RepoState, rel: ReleaseState): Record<string, unknown> {
  const b = sb.bases;
  const url = `${repoApiUrl(b, r)}/releases/${rel.id}`;
  return {
    url,
    html_url: `${repoHtmlUrl(b, r)}/releases/tag/${rel.tagName}`,
    assets_url: `${url}/assets`,
    upload_url: `${b.web}/uploads/repos/${r.owner.login}/${r.name}/releases/${rel.id}/assets{?name,label}`,
    tarball_url: `${repoApiUrl(b, r)}/tarball/${rel.tagName}`,
    zipball_url: `${repoApiUrl(b, r)}/zipball/${rel.tagName}`,
    id: rel.id,
    node_id: nodeId('Release', rel.id),
    tag_name: rel.tagName,
    target_commitish: rel.targetCommitish,
    name: rel.name,
    body: rel.body,
    draft: rel.draft,
    prerelease: rel.prerelease,
    immutable: false,
    created_at: rel.createdAt,
    published_at: rel.publishedAt,
    updated_at: rel.publishedAt ?? rel.createdAt,
    author: userJson(b, rel.author),
    assets: [],
  };
}
