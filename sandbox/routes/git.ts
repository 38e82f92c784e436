/** `git` REST operations (docs.github.com/rest/git): Git database: refs, commits and trees. */
import type { GitHubSandbox } from '../github-sandbox.js';
import { gitCommitJson } from '../json/commits.js';
import { nodeId } from '../json/common.js';
import { repoApiUrl } from '../json/repos.js';
import type { RepoState } from '../state.js';
import { updateRef } from '../world/pushes.js';
import { actorAccount, repoOf } from './helpers.js';
import { HttpError, type RouteTable } from './route.js';

function refJson(sb: GitHubSandbox, r: RepoState, ref: string, sha: string): Record<string, unknown> {
  return { ref, node_id: nodeId('Ref', `${r.id}:${ref}`), url: `${repoApiUrl(sb.bases, r)}/git/${ref}`, object: { type: 'commit', sha, url: `${repoApiUrl(sb.bases, r)}/git/commits/${sha}` } };
}

/** GitHub lists at most this many entries of a recursive tree (and at most 7 MB), then sets `truncated`. */
export const TREE_ENTRY_LIMIT = 100_000;
const TREE_BYTE_LIMIT = 7 * 1024 * 1024;

export const routes: RouteTable = {
  'git/get-tree': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    // `recursive` set to any value lists subtrees too (GitHub: "0", "1", "true" and "false" all enable it).
    const recursive = ctx.query.recursive !== undefined;
    const listing = await r.git.lsTree(ctx.params.tree_sha ?? '', recursive);
    if (!listing) throw new HttpError(404, 'Not Found');
    const base = repoApiUrl(sb.bases, r);
    const limit = recursive ? (sb.limits.treeEntries ?? TREE_ENTRY_LIMIT) : Number.POSITIVE_INFINITY;
    const tree: Record<string, unknown>[] = [];
    let bytes = 0;
    let truncated = false;
    for (const e of listing.entries) {
      const entry = {
        path: e.path,
        mode: e.mode,
        type: e.type,
        sha: e.sha,
        ...(e.size !== null ? { size: e.size } : {}),
        ...(e.type === 'commit' ? {} : { url: `${base}/git/${e.type === 'tree' ? 'trees' : 'blobs'}/${e.sha}` }),
      };
      bytes += JSON.stringify(entry).length;
      if (tree.length >= limit || (recursive && bytes > TREE_BYTE_LIMIT)) {
        truncated = true;
        break;
      }
      tree.push(entry);
    }
    return { status: 200, body: { sha: listing.sha, url: `${base}/git/trees/${listing.sha}`, tree, truncated } };
  },

  'git/get-ref': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const ref = `refs/${ctx.params.ref ?? ''}`;
    const sha = await r.git.resolve(ref);
    if (!sha || !/^refs\/(heads|tags)\//.test(ref)) throw new HttpError(404, 'Not Found');
    return { status: 200, body: refJson(sb, r, ref, sha) };
  },
  'git/create-ref': async (sb, ctx) => {
    const r = repoOf(sb, ctx, true);
    const ref = String(ctx.body.ref);
    const sha = String(ctx.body.sha);
    if (!/^refs\/(heads|tags)\/.+/.test(ref)) throw new HttpError(422, "Reference name must start with 'refs/' and have at least two slashes.");
    if (await r.git.resolve(ref)) throw new HttpError(422, 'Reference already exists');
    if (!(await r.git.resolve(sha))) throw new HttpError(422, 'Object does not exist');
    await updateRef(sb, r, { ref, before: null, after: sha, pusher: actorAccount(sb, ctx) });
    return { status: 201, body: refJson(sb, r, ref, sha) };
  },
  'git/update-ref': async (sb, ctx) => {
    const r = repoOf(sb, ctx, true);
    const ref = `refs/${ctx.params.ref ?? ''}`;
    const before = await r.git.resolve(ref);
    if (!before) throw new HttpError(422, 'Reference does not exist');
    const sha = String(ctx.body.sha);
    if (!(await r.git.resolve(sha))) throw new HttpError(422, 'Object does not exist');
    if (ctx.body.force !== true && !(await r.git.isAncestor(before, sha))) throw new HttpError(422, 'Update is not a fast forward');
    await updateRef(sb, r, { ref, before, after: sha, pusher: actorAccount(sb, ctx) });
    return { status: 200, body: refJson(sb, r, ref, sha) };
  },
  'git/delete-ref': async (sb, ctx) => {
    const r = repoOf(sb, ctx, true);
    const ref = `refs/${ctx.params.ref ?? ''}`;
    const before = /^refs\/(heads|tags)\/.+/.test(ref) ? await r.git.resolve(ref) : null;
    if (!before) throw new HttpError(422, 'Reference does not exist');
    await updateRef(sb, r, { ref, before, after: null, pusher: actorAccount(sb, ctx) });
    return { status: 204 };
  },
  'git/get-commit': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const info = await r.git.commitInfo(ctx.params.commit_sha ?? '');
    if (!info || info.sha !== ctx.params.commit_sha) throw new HttpError(404, 'Not Found');
    return { status: 200, body: gitCommitJson(sb.bases, r, await sb.commitView(r, info.sha)) };
  },
};
