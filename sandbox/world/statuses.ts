/** Commit statuses (the `status` event carries the commit and the branches at it). */
import type { GitHubSandbox } from '../github-sandbox.js';
import { iso } from '../json/common.js';
import { commitJson } from '../json/commits.js';
import { repoApiUrl } from '../json/repos.js';
import { HttpError } from '../routes/route.js';
import type { Account, RepoState, StatusState } from '../state.js';

/** Sets a commit status as a CI would. */
export async function setStatus(
  sb: GitHubSandbox,
  repo: string,
  sha: string,
  s: { state: StatusState['state']; context: string; description?: string; targetUrl?: string; user?: string },
): Promise<StatusState> {
  const r = sb.repo(repo);
  return sb.createStatus(r, sha, s.user ? sb.account(s.user) : sb.account('sandbox-ci[bot]'), { state: s.state, context: s.context, description: s.description, target_url: s.targetUrl });
}

export async function createStatus(sb: GitHubSandbox, r: RepoState, sha: string, creator: Account, b: Record<string, unknown>): Promise<StatusState> {
  const resolved = await r.git.resolve(sha);
  if (!resolved) throw new HttpError(422, 'No commit found for SHA: ' + sha);
  const st: StatusState = {
    id: sb.nextId() + 30_000_000,
    sha: resolved,
    state: b.state as StatusState['state'],
    context: typeof b.context === 'string' ? b.context : 'default',
    description: typeof b.description === 'string' ? b.description : null,
    targetUrl: typeof b.target_url === 'string' ? b.target_url : null,
    creator,
    createdAt: iso(),
  };
  r.statuses.push(st);
  const info = await sb.commitView(r, resolved);
  const branches = (await r.git.listBranches()).filter((x) => x.sha === resolved);
  await sb.emit(
    r,
    'status',
    {
      id: st.id,
      sha: st.sha,
      name: `${r.owner.login}/${r.name}`,
      target_url: st.targetUrl,
      context: st.context,
      description: st.description,
      state: st.state,
      commit: commitJson(sb.bases, r, info),
      branches: branches.map((x) => ({ name: x.name, commit: { sha: x.sha, url: `${repoApiUrl(sb.bases, r)}/commits/${x.sha}` }, protected: r.protections.has(x.name) })),
      created_at: st.createdAt,
      updated_at: st.createdAt,
    },
    creator,
  );
  return st;
}
