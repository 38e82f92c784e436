/** What many handlers share: who is asking, the repository they may see or write, paging, refs. */
import type { GitHubSandbox } from '../github-sandbox.js';
import type { Account, Actor, PullState, RepoState } from '../state.js';
import { installedOn } from '../world/oauth.js';
import { HttpError, type RouteContext } from './route.js';

export function authed(ctx: RouteContext): Actor {
  const a = ctx.actor;
  if (a.kind === 'invalid') throw new HttpError(401, a.message);
  if (a.kind === 'anonymous') throw new HttpError(401, 'Requires authentication');
  return a;
}

export function actorAccount(sb: GitHubSandbox, ctx: RouteContext): Account {
  const a = authed(ctx);
  if (a.kind === 'user') return a.account;
  if (a.kind === 'installation') return a.bot;
  throw new HttpError(403, 'A JSON web token cannot be used to access this resource; use an installation token.');
}

export function repoOf(sb: GitHubSandbox, ctx: RouteContext, write = false): RepoState {
  const a = ctx.actor;
  if (a.kind === 'invalid') throw new HttpError(401, a.message);
  const r = sb.findRepo(ctx.params.owner ?? '', ctx.params.repo ?? '');
  if (!r) throw new HttpError(404, 'Not Found');
  if (a.kind === 'app') throw new HttpError(401, 'A JSON web token cannot be used to access this resource; use an installation token.');
  if (a.kind === 'installation') {
    const inst = sb.installations.get(a.installationId);
    const ownInstall = inst && inst.account.id === r.owner.id;
    if (!ownInstall && a.app.id !== sb.actionsApp.id) throw new HttpError(404, 'Not Found');
    return r;
  }
  if (a.kind === 'anonymous') {
    if (r.private) throw new HttpError(404, 'Not Found');
    if (write) throw new HttpError(401, 'Requires authentication');
    return r;
  }
  const perm = sb.permissionOf(r, a.account.login);
  if (perm === 'none') throw new HttpError(404, 'Not Found');
  // A user access token reaches only repositories where its app is installed.
  if (a.app && !installedOn(sb, r.owner)) throw new HttpError(404, 'Not Found');
  if (write && perm === 'read') throw new HttpError(403, 'Must have admin rights to Repository.');
  return r;
}

export function int(v: string | undefined, def: number): number {
  if (v === undefined || v === '') return def;
  const n = Number(v);
  return Number.isInteger(n) && n > 0 ? n : def;
}

/** Pages `items` as GitHub does and builds its `Link` header. */
export function paginate<T>(ctx: RouteContext, items: T[], def = 30, max = 100): { items: T[]; headers: Record<string, string> } {
  const perPage = Math.min(int(ctx.query.per_page, def), max);
  const page = int(ctx.query.page, 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const link = (p: number): string => {
    const u = new URL(ctx.url.toString());
    u.searchParams.set('per_page', String(perPage));
    u.searchParams.set('page', String(p));
    return u.toString();
  };
  const rels: string[] = [];
  if (page > 1) rels.push(`<${link(Math.min(page - 1, last))}>; rel="prev"`);
  if (page < last) rels.push(`<${link(page + 1)}>; rel="next"`);
  if (page < last) rels.push(`<${link(last)}>; rel="last"`);
  if (page > 1) rels.push(`<${link(1)}>; rel="first"`);
  return { items: slice, headers: rels.length ? { link: rels.join(', ') } : {} };
}

export function pullOf(r: RepoState, n: string | undefined): PullState {
  const pr = r.pulls.get(Number(n));
  if (!pr) throw new HttpError(404, 'Not Found');
  return pr;
}

export async function resolveRef(r: RepoState, ref: string): Promise<string> {
  const sha = (await r.git.resolve(ref)) ?? (await r.git.resolve(`refs/heads/${ref}`)) ?? (await r.git.resolve(`refs/tags/${ref}`));
  if (!sha) throw new HttpError(422, `No commit found for SHA: ${ref}`);
  return sha;
}

export function viaApp(sb: GitHubSandbox, ctx: RouteContext): GitHubSandbox['app'] | null {
  return ctx.actor.kind === 'installation' ? (ctx.actor.app as GitHubSandbox['app']) : null;
}

export function requireApp(ctx: RouteContext): void {
  const a = ctx.actor;
  if (a.kind === 'invalid') throw new HttpError(401, a.message);
  if (a.kind !== 'app') throw new HttpError(401, 'A JSON web token could not be decoded');
}
