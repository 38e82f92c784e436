/** `apps` REST operations (docs.github.com/rest/apps): GitHub Apps: the authenticated app, its installations and installation tokens (app JWT only). */
import { appJson, installationJson } from '../json/users.js';
import { paginate, requireApp } from './helpers.js';
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
};
