/** Commits as GitHub shows them: git data plus the accounts their emails map to. */
import type { GitHubSandbox } from '../github-sandbox.js';
import { HttpError } from '../routes/route.js';
import type { CommitView, RepoState } from '../state.js';

export async function commitView(sb: GitHubSandbox, r: RepoState, sha: string): Promise<CommitView> {
  const info = await r.git.commitInfo(sha);
  if (!info) throw new HttpError(422, `No commit found for SHA: ${sha}`);
  return {
    sha: info.sha,
    tree: info.tree,
    parents: info.parents,
    message: info.message,
    author: info.author,
    committer: info.committer,
    authorAccount: sb.accountByEmail(info.author.email),
    committerAccount: sb.accountByEmail(info.committer.email),
    verified: r.signedCommits.has(info.sha),
  };
}
