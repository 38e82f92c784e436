/** `commit`, `git-commit` and `diff-entry` objects. */
import type { Bases, CommitView, RepoData } from '../state.js';
import { nodeId } from './common.js';
import { repoApiUrl, repoHtmlUrl } from './repos.js';
import { userJson } from './users.js';

/** GitHub's signature verification of a commit: sandbox commits are unsigned unless pushed with `signed: true`. */
function verificationJson(c: CommitView): Record<string, unknown> {
  return c.verified
    ? { verified: true, reason: 'valid', signature: '-----BEGIN SSH SIGNATURE-----\nsandbox\n-----END SSH SIGNATURE-----', payload: `tree ${c.tree}\n`, verified_at: c.committer.date }
    : { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null };
}

/** The `commit.commit` part (git data). */
export function gitCommitPart(b: Bases, r: RepoData, c: CommitView): Record<string, unknown> {
  const url = repoApiUrl(b, r);
  return {
    url: `${url}/git/commits/${c.sha}`,
    author: { ...c.author },
    committer: { ...c.committer },
    message: c.message,
    tree: { sha: c.tree, url: `${url}/git/trees/${c.tree}` },
    comment_count: 0,
    verification: verificationJson(c),
  };
}

/** `commit` (REST commits API), optionally with stats and files. */
export function commitJson(b: Bases, r: RepoData, c: CommitView, files?: Array<Record<string, unknown>>): Record<string, unknown> {
  const url = repoApiUrl(b, r);
  const out: Record<string, unknown> = {
    sha: c.sha,
    node_id: nodeId('Commit', c.sha),
    commit: gitCommitPart(b, r, c),
    url: `${url}/commits/${c.sha}`,
    html_url: `${repoHtmlUrl(b, r)}/commit/${c.sha}`,
    comments_url: `${url}/commits/${c.sha}/comments`,
    author: c.authorAccount ? userJson(b, c.authorAccount) : null,
    committer: c.committerAccount ? userJson(b, c.committerAccount) : null,
    parents: c.parents.map((p) => ({ sha: p, url: `${url}/commits/${p}`, html_url: `${repoHtmlUrl(b, r)}/commit/${p}` })),
  };
  if (files) {
    let additions = 0;
    let deletions = 0;
    for (const f of files) {
      additions += Number(f.additions);
      deletions += Number(f.deletions);
    }
    out.stats = { total: additions + deletions, additions, deletions };
    out.files = files;
  }
  return out;
}

/** `git-commit` (git database API). */
export function gitCommitJson(b: Bases, r: RepoData, c: CommitView): Record<string, unknown> {
  const url = repoApiUrl(b, r);
  return {
    sha: c.sha,
    node_id: nodeId('Commit', c.sha),
    url: `${url}/git/commits/${c.sha}`,
    html_url: `${repoHtmlUrl(b, r)}/commit/${c.sha}`,
    author: { ...c.author },
    committer: { ...c.committer },
    tree: { sha: c.tree, url: `${url}/git/trees/${c.tree}` },
    message: c.message,
    parents: c.parents.map((p) => ({ sha: p, url: `${url}/git/commits/${p}`, html_url: `${repoHtmlUrl(b, r)}/commit/${p}` })),
    verification: verificationJson(c),
  };
}

/** `diff-entry`. */
export function diffEntryJson(
  b: Bases,
  r: RepoData,
  ref: string,
  f: { filename: string; previousFilename?: string; status: string; additions: number; deletions: number; patch: string; blobSha: string },
): Record<string, unknown> {
  const enc = f.filename.split('/').map(encodeURIComponent).join('/');
  const out: Record<string, unknown> = {
    sha: f.blobSha,
    filename: f.filename,
    status: f.status,
    additions: f.additions,
    deletions: f.deletions,
    changes: f.additions + f.deletions,
    blob_url: `${repoHtmlUrl(b, r)}/blob/${ref}/${enc}`,
    raw_url: `${repoHtmlUrl(b, r)}/raw/${ref}/${enc}`,
    contents_url: `${repoApiUrl(b, r)}/contents/${enc}?ref=${ref}`,
  };
  if (f.patch) out.patch = f.patch;
  if (f.previousFilename) out.previous_filename = f.previousFilename;
  return out;
}
