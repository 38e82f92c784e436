/** Branch updates: new branches, pushes (commits written with git), and what a moved branch does to the PRs it heads. */
import type { GitHubSandbox, PersonRef } from '../github-sandbox.js';
import { iso } from '../json/common.js';
import type { Account, RepoState } from '../state.js';

export async function createBranch(sb: GitHubSandbox, repo: string, branch: string, from: string): Promise<string> {
  const r = sb.repo(repo);
  const sha = await r.git.resolve(from);
  if (!sha) throw new Error(`cannot resolve ${from} in ${repo}`);
  await r.git.updateRef(`refs/heads/${branch}`, sha, null);
  await sb.afterRefMoved(r, branch, null, sha, null);
  return sha;
}

/** Commits `files` on top of `branch` (created from the default branch when absent) as `author`. */
export async function push(
  sb: GitHubSandbox,
  repo: string,
  c: {
    branch: string;
    files: Record<string, string | null>;
    message: string;
    author: PersonRef;
    committer?: PersonRef;
    /** `Co-authored-by` trailers: a login uses the user's noreply address (as GitHub's co-author suggestions do), or a raw name and email. */
    coAuthors?: PersonRef[];
    /** Parent commit (defaults to the branch tip); a non-descendant makes this a force push. */
    parent?: string;
    from?: string;
  },
): Promise<string> {
  const r = sb.repo(repo);
  const before = await r.git.branchSha(c.branch);
  const parent = c.parent ?? before ?? (await r.git.resolve(c.from ?? `refs/heads/${r.defaultBranch}`));
  let message = c.message;
  if (c.coAuthors?.length) {
    const trailers = c.coAuthors.map((p) => {
      if (typeof p === 'string') {
        const a = sb.account(p);
        return `Co-authored-by: ${a.name} <${a.id}+${a.login}@users.noreply.github.com>`;
      }
      return `Co-authored-by: ${p.name} <${p.email}>`;
    });
    message = `${message.replace(/\n+$/, '')}\n\n${trailers.join('\n')}`;
  }
  const author = sb.identity(c.author);
  const committer = c.committer ? sb.identity(c.committer) : author;
  const sha = await r.git.commitFiles({ parent, files: c.files, message, author, committer });
  await r.git.updateRef(`refs/heads/${c.branch}`, sha, before);
  const pusher = committer.account ?? author.account;
  await sb.afterRefMoved(r, c.branch, before, sha, pusher);
  return sha;
}

/** Pushes `count` small commits to `branch` quickly (for large ranges). */
export async function pushMany(sb: GitHubSandbox, repo: string, branch: string, count: number, author: PersonRef): Promise<string[]> {
  const r = sb.repo(repo);
  const before = await r.git.branchSha(branch);
  const parent = before ?? (await r.git.resolve(`refs/heads/${r.defaultBranch}`));
  const id = sb.identity(author);
  const series = Array.from({ length: count }, (_, i) => ({ files: { [`many/${branch.replace(/\W/g, '_')}-${i % 50}.txt`]: `change ${i}\n` }, message: `Change ${i + 1} of ${count}`, author: id }));
  const shas = await r.git.importLinear(parent, series);
  const tip = shas[shas.length - 1];
  if (tip) {
    await r.git.updateRef(`refs/heads/${branch}`, tip, before);
    await sb.afterRefMoved(r, branch, before, tip, id.account);
  }
  return shas;
}

/** After a branch moved: PRs headed by it get `synchronize`. */
export async function afterRefMoved(sb: GitHubSandbox, r: RepoState, branch: string, before: string | null, after: string, sender: Account | null): Promise<void> {
  r.pushedAt = iso();
  for (const base of sb.repos.values()) {
    for (const pr of base.pulls.values()) {
      if (pr.state !== 'open' || pr.headRepo !== r || pr.headRef !== branch || pr.headSha === after) continue;
      const old = pr.headSha;
      pr.headSha = after;
      pr.updatedAt = iso();
      await base.git.fetchFrom(r.git, after, `refs/pull/${pr.number}/head`);
      await sb.emit(base, 'pull_request', { action: 'synchronize', number: pr.number, before: old, after, pull_request: await sb.pullJson(base, pr, true) }, sender ?? pr.user);
    }
  }
  void before;
}
