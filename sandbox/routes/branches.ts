/** `branches` REST operations (docs.github.com/rest/branches): Branches. */
import { commitJson } from '../json/commits.js';
import { repoApiUrl, repoHtmlUrl } from '../json/repos.js';
import { repoOf, paginate } from './helpers.js';
import { HttpError, type RouteTable } from './route.js';

export const routes: RouteTable = {
  'repos/list-branches': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const branches = (await r.git.listBranches()).sort((a, b) => a.name.localeCompare(b.name));
    const p = paginate(ctx, branches);
    return { status: 200, body: p.items.map((x) => ({ name: x.name, commit: { sha: x.sha, url: `${repoApiUrl(sb.bases, r)}/commits/${x.sha}` }, protected: false })), headers: p.headers };
  },
  'repos/get-branch': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const name = ctx.params.branch ?? '';
    const sha = await r.git.branchSha(name);
    if (!sha) throw new HttpError(404, 'Branch not found');
    const url = `${repoApiUrl(sb.bases, r)}/branches/${encodeURIComponent(name)}`;
    return {
      status: 200,
      body: {
        name,
        commit: commitJson(sb.bases, r, await sb.commitView(r, sha)),
        _links: { self: url, html: `${repoHtmlUrl(sb.bases, r)}/tree/${name}` },
        protected: false,
        protection: { enabled: false, required_status_checks: { enforcement_level: 'off', contexts: [], checks: [] } },
        protection_url: `${url}/protection`,
      },
    };
  },
};
