/**
 * `apps` REST operations (docs.github.com/rest/apps): GitHub Apps: the authenticated app, its installations and
 * installation tokens (app JWT only); and, with a user access token, the installations and repositories the user
 * can reach through the app (`/user/installations…`).
 */
import type { GitHubSandbox } from '../github-sandbox.js';
import { repoJson } from '../json/repos.js';
import { appJson, installationJson } from '../json/users.js';
import type { Account, InstallationState, RepoState } from '../state.js';
import { authed, paginate, requireApp } from './helpers.js';
import type { RouteContext } from './route.js';
import { HttpError, type RouteTable } from './route.js';

export const routes: RouteTable = {
  'apps/get-authenticated': async (sb, ctx) => {
    requireApp(ctx);
    return { status: 200, body: { ...appJson(sb.bases, sb.app), installations_count: sb.installations.size } };
  },
  // Public (any token, or none), as on GitHub: how a CLI learns an app's id from its slug.
  'apps/get-by-slug': async (sb, ctx) => {
    const app = [sb.app, sb.actionsApp].find((a) => a.slug === ctx.params.app_slug);
    if (!app) throw new HttpError(404, 'Not Found');
    return { status: 200, body: appJson(sb.bases, app) };
  },
  'apps/list-installations': async (sb, ctx) => {
    requireApp(ctx);
    const p = paginate(ctx, [...sb.installations.values()]);
    return { status: 200, body: p.items.map((i) => installationJson(sb, i)), headers: p.headers };
  },
  'apps/get-installation': async (sb, ctx) => {
    requireApp(ctx);
    const inst = sb.installations.get(Number(ctx.params.installation_id));
    if (!inst) throw new HttpError(404, 'Not Found');
    return { status: 200, body: installationJson(sb, inst) };
  },
  'apps/create-installation-access-token': async (sb, ctx) => {
    requireApp(ctx);
    const inst = sb.installations.get(Number(ctx.params.installation_id));
    if (!inst) throw new HttpError(404, 'Not Found');
    const t = sb.issueInstallationToken(inst.id);
    return { status: 201, body: { token: t.token, expires_at: t.expiresAt, permissions: sb.app.permissions, repository_selection: 'all' } };
  },
  'apps/get-repo-installation': async (sb, ctx) => {
    requireApp(ctx);
    const r = sb.findRepo(ctx.params.owner ?? '', ctx.params.repo ?? '');
    if (!r) throw new HttpError(404, 'Not Found');
    return { status: 200, body: installationJson(sb, sb.installationFor(r.owner)) };
  },
  'apps/get-org-installation': async (sb, ctx) => {
    requireApp(ctx);
    const a = sb.findAccount(ctx.params.org ?? '');
    if (!a) throw new HttpError(404, 'Not Found');
    return { status: 200, body: installationJson(sb, sb.installationFor(a)) };
  },
  'apps/get-user-installation': async (sb, ctx) => {
    requireApp(ctx);
    const a = sb.findAccount(ctx.params.username ?? '');
    if (!a) throw new HttpError(404, 'Not Found');
    return { status: 200, body: installationJson(sb, sb.installationFor(a)) };
  },
  'apps/list-installations-for-authenticated-user': async (sb, ctx) => {
    const user = userThroughApp(ctx);
    const reachable = [...sb.installations.values()].filter((i) => readableRepos(sb, i, user).length > 0);
    const p = paginate(ctx, reachable);
    return { status: 200, body: { total_count: reachable.length, installations: p.items.map((i) => installationJson(sb, i)) }, headers: p.headers };
  },
  'apps/list-installation-repos-for-authenticated-user': async (sb, ctx) => {
    const user = userThroughApp(ctx);
    const inst = sb.installations.get(Number(ctx.params.installation_id));
    const repos = inst ? readableRepos(sb, inst, user) : [];
    if (!inst || repos.length === 0) throw new HttpError(404, 'Not Found');
    const p = paginate(ctx, repos);
    const body = p.items.map((r) => {
      const perm = sb.permissionOf(r, user.login);
      return repoJson(sb.bases, r, { permissions: { admin: perm === 'admin', maintain: perm === 'admin', push: perm === 'admin' || perm === 'write', triage: perm !== 'read', pull: true } });
    });
    return { status: 200, body: { total_count: repos.length, repository_selection: 'all', repositories: body }, headers: p.headers };
  },
};

/** The user of a user access token made through the app (GitHub refuses other tokens here). */
function userThroughApp(ctx: RouteContext): Account {
  const a = authed(ctx);
  if (a.kind !== 'user' || !a.app) throw new HttpError(403, 'You must authenticate with an access token authorized to a GitHub App in order to list installations');
  return a.account;
}

/** The repositories of an installation (all of its account's: `repository_selection: all`) that `user` can read. */
function readableRepos(sb: GitHubSandbox, inst: InstallationState, user: Account): RepoState[] {
  return [...sb.repos.values()].filter((r) => r.owner.id === inst.account.id && sb.permissionOf(r, user.login) !== 'none');
}
