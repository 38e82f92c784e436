/** `repos` REST operations (docs.github.com/rest/repos): Repositories and their contents; compare. */
import type { GitHubSandbox } from '../github-sandbox.js';
import { commitJson, diffEntryJson } from '../json/commits.js';
import { githubBase64 } from '../json/common.js';
import { repoApiUrl, repoHtmlUrl, repoJson } from '../json/repos.js';
import { userJson } from '../json/users.js';
import type { RepoState } from '../state.js';
import { repoOf, int, paginate } from './helpers.js';
import { HttpError, type RouteTable } from './route.js';

/** Resolves one side of `compare`: `ref` or `owner:ref` (a fork in the same network). */
async function compareSide(sb: GitHubSandbox, r: RepoState, spec: string): Promise<string> {
  const colon = spec.indexOf(':');
  if (colon > 0) {
    const owner = spec.slice(0, colon);
    const ref = spec.slice(colon + 1);
    const other = sb.findRepo(owner, r.name) ?? [...sb.repos.values()].find((x) => x.owner.login.toLowerCase() === owner.toLowerCase() && (x.forkOf === r || r.forkOf === x));
    if (!other) throw new HttpError(404, 'Not Found');
    const sha = (await other.git.resolve(`refs/heads/${ref}`)) ?? (await other.git.resolve(ref));
    if (!sha) throw new HttpError(404, 'Not Found');
    if (other !== r) await r.git.fetchFrom(other.git, sha, `refs/sandbox/network/${sha}`);
    return sha;
  }
  const sha = (await r.git.resolve(`refs/heads/${spec}`)) ?? (await r.git.resolve(`refs/tags/${spec}`)) ?? (await r.git.resolve(spec));
  if (!sha) throw new HttpError(404, 'Not Found');
  return sha;
}

export const routes: RouteTable = {
  'repos/list-activities': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const q = ctx.query;
    const ref = q.ref ? (q.ref.startsWith('refs/') ? q.ref : `refs/heads/${q.ref}`) : null;
    let list = r.activity.filter((a) => (ref === null || a.ref === ref) && (!q.actor || a.actor?.login === q.actor) && (!q.activity_type || a.activityType === q.activity_type));
    list = q.direction === 'asc' ? [...list] : [...list].reverse();
    // Cursor paging as GitHub does for this endpoint: `after`/`before` are the ids of listed entries.
    if (q.after) list = list.slice(list.findIndex((a) => String(a.id) === q.after) + 1);
    const perPage = Math.min(int(q.per_page, 30), 100);
    const items = list.slice(0, perPage);
    const headers: Record<string, string> = {};
    if (list.length > perPage && items.length) {
      const next = new URL(ctx.url.toString());
      next.searchParams.set('after', String(items[items.length - 1]!.id));
      headers.link = `<${next.toString()}>; rel="next"`;
    }
    return {
      status: 200,
      headers,
      body: items.map((a) => ({
        id: a.id,
        node_id: `RA_${a.id}`,
        before: a.before,
        after: a.after,
        ref: a.ref,
        timestamp: a.timestamp,
        activity_type: a.activityType,
        actor: a.actor ? userJson(sb.bases, a.actor) : null,
      })),
    };
  },
  'repos/get': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const a = ctx.actor;
    const perm = a.kind === 'user' ? sb.permissionOf(r, a.account.login) : a.kind === 'installation' ? 'write' : 'read';
    const open = [...r.pulls.values()].filter((p) => p.state === 'open').length;
    return {
      status: 200,
      body: repoJson(sb.bases, r, { full: true, openIssues: open, permissions: { admin: perm === 'admin', maintain: perm === 'admin', push: perm !== 'read', triage: perm !== 'read', pull: true } }),
    };
  },
  'repos/get-content': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const ref = ctx.query.ref ?? r.defaultBranch;
    const sha = (await r.git.resolve(`refs/heads/${ref}`)) ?? (await r.git.resolve(ref));
    if (!sha) throw new HttpError(404, `No commit found for the ref ${ref}`);
    const path = (ctx.params.path ?? '').replace(/^\/+|\/+$/g, '');
    const obj = await r.git.readPath(sha, path);
    if (!obj) throw new HttpError(404, 'Not Found');
    const accept = String(ctx.headers.accept ?? '');
    const b = sb.bases;
    const entry = (type: 'file' | 'dir', p: string, objSha: string, size: number): Record<string, unknown> => {
      const url = `${repoApiUrl(b, r)}/contents/${p}?ref=${encodeURIComponent(ref)}`;
      const html = `${repoHtmlUrl(b, r)}/${type === 'dir' ? 'tree' : 'blob'}/${ref}/${p}`;
      const git = `${repoApiUrl(b, r)}/git/${type === 'dir' ? 'trees' : 'blobs'}/${objSha}`;
      return {
        type,
        size,
        name: p.split('/').pop() ?? p,
        path: p,
        sha: objSha,
        url,
        git_url: git,
        html_url: html,
        download_url: type === 'file' ? `${b.web}/raw/${r.owner.login}/${r.name}/${ref}/${p}` : null,
        _links: { self: url, git, html },
      };
    };
    if (obj.type === 'blob') {
      if (/\.raw\b|vnd\.github\.raw/.test(accept)) return { status: 200, raw: obj.content, contentType: 'text/plain; charset=utf-8' };
      return { status: 200, body: { ...entry('file', path, obj.sha, obj.content.length), content: githubBase64(obj.content), encoding: 'base64' } };
    }
    if (/\.raw\b|vnd\.github\.raw/.test(accept)) throw new HttpError(404, 'Not Found');
    return { status: 200, body: obj.entries.map((e) => entry(e.type === 'tree' ? 'dir' : 'file', e.path, e.sha, e.size)) };
  },
  'repos/compare-commits': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const spec = ctx.params.basehead ?? '';
    const idx = spec.indexOf('...');
    if (idx <= 0) throw new HttpError(404, 'Not Found');
    const base = await compareSide(sb, r, spec.slice(0, idx));
    const head = await compareSide(sb, r, spec.slice(idx + 3));
    const mb = await r.git.mergeBase(base, head);
    const ahead = await r.git.revList(base, head);
    const behind = await r.git.revList(head, base);
    const status = base === head ? 'identical' : behind.length === 0 ? 'ahead' : ahead.length === 0 ? 'behind' : 'diverged';
    const paginated = ctx.query.page !== undefined || ctx.query.per_page !== undefined;
    let commits = ahead;
    let headers: Record<string, string> = {};
    if (paginated) {
      const p = paginate(ctx, ahead, 30, 100);
      commits = p.items;
      headers = p.headers;
    } else commits = ahead.slice(0, 250);
    await r.git.prefetch([base, ...(mb ? [mb] : []), ...commits]);
    const showFiles = !paginated || int(ctx.query.page, 1) === 1;
    const files = showFiles ? (await r.git.diff(mb, head)).slice(0, 300).map((f) => diffEntryJson(sb.bases, r, head, f)) : [];
    const body: Record<string, unknown> = {
      url: `${repoApiUrl(sb.bases, r)}/compare/${spec}`,
      html_url: `${repoHtmlUrl(sb.bases, r)}/compare/${spec}`,
      permalink_url: `${repoHtmlUrl(sb.bases, r)}/compare/${r.owner.login}:${base.slice(0, 7)}...${r.owner.login}:${head.slice(0, 7)}`,
      diff_url: `${repoHtmlUrl(sb.bases, r)}/compare/${spec}.diff`,
      patch_url: `${repoHtmlUrl(sb.bases, r)}/compare/${spec}.patch`,
      base_commit: commitJson(sb.bases, r, await sb.commitView(r, base)),
      merge_base_commit: mb ? commitJson(sb.bases, r, await sb.commitView(r, mb)) : commitJson(sb.bases, r, await sb.commitView(r, base)),
      status,
      ahead_by: ahead.length,
      behind_by: behind.length,
      total_commits: ahead.length,
      commits: await Promise.all(commits.map(async (s) => commitJson(sb.bases, r, await sb.commitView(r, s)))),
      files,
    };
    return { status: 200, body, headers };
  },
};
