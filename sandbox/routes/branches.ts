/** `branches` REST operations (docs.github.com/rest/branches): branches and branch protection (admins only, as on GitHub). */
import type { GitHubSandbox } from '../github-sandbox.js';
import { commitJson } from '../json/commits.js';
import { branchProtectionSummary, protectionJson, statusCheckPolicyJson } from '../json/protection.js';
import { repoApiUrl, repoHtmlUrl } from '../json/repos.js';
import type { BranchProtectionState, RepoState } from '../state.js';
import { setBranchProtection, updateRequiredChecks } from '../world/protection.js';
import { repoOf, paginate } from './helpers.js';
import { HttpError, type RouteContext, type RouteTable } from './route.js';

/** The repository, if the caller administers it: an admin, or an app with the `administration` permission. */
function adminRepo(sb: GitHubSandbox, ctx: RouteContext, write: boolean): RepoState {
  const r = repoOf(sb, ctx);
  const a = ctx.actor;
  if (a.kind === 'installation') {
    const level = a.app.permissions.administration;
    if (level !== 'write' && (write || level !== 'read')) throw new HttpError(403, 'Resource not accessible by integration');
  } else if (a.kind !== 'user' || sb.permissionOf(r, a.account.login) !== 'admin') throw new HttpError(403, 'Must have admin rights to Repository.');
  return r;
}

async function protectionOf(sb: GitHubSandbox, ctx: RouteContext, write: boolean): Promise<{ r: RepoState; branch: string; p: BranchProtectionState }> {
  const r = adminRepo(sb, ctx, write);
  const branch = ctx.params.branch ?? '';
  const p = r.protections.get(branch);
  if (!p) throw new HttpError(404, 'Branch not protected');
  return { r, branch, p };
}

export const routes: RouteTable = {
  'repos/list-branches': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    let branches = (await r.git.listBranches()).sort((a, b) => a.name.localeCompare(b.name));
    if (ctx.query.protected !== undefined) branches = branches.filter((b) => r.protections.has(b.name) === (ctx.query.protected === 'true'));
    const p = paginate(ctx, branches);
    return {
      status: 200,
      body: p.items.map((x) => ({ name: x.name, commit: { sha: x.sha, url: `${repoApiUrl(sb.bases, r)}/commits/${x.sha}` }, protected: r.protections.has(x.name) })),
      headers: p.headers,
    };
  },
  'repos/get-branch': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const name = ctx.params.branch ?? '';
    const sha = await r.git.branchSha(name);
    if (!sha) throw new HttpError(404, 'Branch not found');
    const url = `${repoApiUrl(sb.bases, r)}/branches/${encodeURIComponent(name)}`;
    return {
      status: 200,
      body: { name, commit: commitJson(sb.bases, r, await sb.commitView(r, sha)), _links: { self: url, html: `${repoHtmlUrl(sb.bases, r)}/tree/${name}` }, ...branchProtectionSummary(sb, r, name) },
    };
  },
  'repos/update-branch-protection': async (sb, ctx) => {
    const r = adminRepo(sb, ctx, true);
    const branch = ctx.params.branch ?? '';
    if (!(await r.git.branchSha(branch))) throw new HttpError(404, 'Branch not found');
    const p = setBranchProtection(sb, r, branch, ctx.body);
    return { status: 200, body: protectionJson(sb, r, branch, p, true) };
  },
  'repos/get-branch-protection': async (sb, ctx) => {
    const { r, branch, p } = await protectionOf(sb, ctx, false);
    return { status: 200, body: protectionJson(sb, r, branch, p) };
  },
  'repos/delete-branch-protection': async (sb, ctx) => {
    const { r, branch } = await protectionOf(sb, ctx, true);
    r.protections.delete(branch);
    return { status: 204 };
  },
  'repos/get-status-checks-protection': async (sb, ctx) => {
    const { r, branch, p } = await protectionOf(sb, ctx, false);
    if (!p.requiredStatusChecks) throw new HttpError(404, 'Required status checks not enabled');
    return { status: 200, body: statusCheckPolicyJson(sb, r, branch, p) };
  },
  'repos/update-status-check-protection': async (sb, ctx) => {
    const { r, branch, p } = await protectionOf(sb, ctx, true);
    if (!p.requiredStatusChecks) throw new HttpError(404, 'Required status checks not enabled');
    updateRequiredChecks(sb, r, p, ctx.body);
    return { status: 200, body: statusCheckPolicyJson(sb, r, branch, p) };
  },
  'repos/remove-status-check-protection': async (sb, ctx) => {
    const { p } = await protectionOf(sb, ctx, true);
    p.requiredStatusChecks = null;
    return { status: 204 };
  },
};
