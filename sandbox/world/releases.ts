/** Releases (a published release creates its tag at the target). */
import type { GitHubSandbox } from '../github-sandbox.js';
import { iso } from '../json/common.js';
import { HttpError } from '../routes/route.js';
import type { Account, ReleaseState, RepoState } from '../state.js';
import { updateRef } from './pushes.js';

/** Creates a release as `POST /repos/{owner}/{repo}/releases` does (422 for a tag that has a release). */
export async function createRelease(sb: GitHubSandbox, r: RepoState, author: Account, b: Record<string, unknown>): Promise<ReleaseState> {
  const tag = String(b.tag_name);
  if ([...r.releases.values()].some((x) => x.tagName === tag)) throw new HttpError(422, 'Validation Failed', { errors: [{ resource: 'Release', code: 'already_exists', field: 'tag_name' }] });
  const target = typeof b.target_commitish === 'string' ? b.target_commitish : r.defaultBranch;
  const existing = await r.git.resolve(`refs/tags/${tag}`);
  if (!existing) {
    const sha = (await r.git.resolve(`refs/heads/${target}`)) ?? (await r.git.resolve(target));
    if (!sha) throw new HttpError(422, 'Validation Failed', { errors: [{ resource: 'Release', code: 'invalid', field: 'target_commitish' }] });
    if (b.draft !== true) await updateRef(sb, r, { ref: `refs/tags/${tag}`, before: null, after: sha, pusher: author });
  }
  const now = iso();
  const rel: ReleaseState = {
    id: sb.nextId() + 70_000_000,
    tagName: tag,
    targetCommitish: target,
    name: typeof b.name === 'string' ? b.name : tag,
    body: typeof b.body === 'string' ? b.body : null,
    draft: b.draft === true,
    prerelease: b.prerelease === true,
    author,
    createdAt: now,
    publishedAt: b.draft === true ? null : now,
  };
  r.releases.set(rel.id, rel);
  return rel;
}
