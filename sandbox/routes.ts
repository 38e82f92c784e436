/** The REST operations the sandbox serves, keyed by GitHub's operationId. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { IncomingHttpHeaders } from 'node:http';
import type { GitHubSandbox } from './github-sandbox.js';
import { appJson, commitJson, diffEntryJson, gitCommitJson, githubBase64, iso, nodeId, repoApiUrl, repoHtmlUrl, repoJson, userJson, type Account } from './objects.js';
import type { Actor, DeploymentState, PullState, RepoState } from './state.js';

/** An API error answered as GitHub does: `{message, ...extra}` with `status`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** What a handler answers. */
export interface RouteResult {
  status: number;
  body?: unknown;
  raw?: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
}

/** One request as a handler sees it. */
export interface RouteContext {
  operationId: string;
  params: Record<string, string>;
  query: Record<string, string>;
  body: Record<string, unknown>;
  actor: Actor | { kind: 'invalid'; message: string };
  headers: IncomingHttpHeaders;
  method: string;
  /** The request URL as received (with `/api/v3` when it was used). */
  url: URL;
}

type Handler = (sb: GitHubSandbox, ctx: RouteContext) => Promise<RouteResult>;

interface Template {
  method: string;
  segments: Array<{ literal: string } | { param: string; multi: boolean }>;
  literalCount: number;
}

let templates: Template[] | null = null;

function loadTemplates(): Template[] {
  if (templates) return templates;
  const require = createRequire(import.meta.url);
  const spec = JSON.parse(readFileSync(require.resolve('@octokit/openapi/generated/api.github.com.json'), 'utf8')) as {
    paths: Record<string, Record<string, { parameters?: Array<{ name?: string; in?: string; 'x-multi-segment'?: boolean }> }>>;
  };
  const out: Template[] = [];
  for (const [path, ops] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const multi = new Set((op.parameters ?? []).filter((p) => p.in === 'path' && p['x-multi-segment']).map((p) => p.name));
      const segments = path
        .split('/')
        .slice(1)
        .map((s) => {
          const m = /^\{(.+)\}$/.exec(s);
          return m && m[1] ? { param: m[1], multi: multi.has(m[1]) || m[1] === 'path' } : { literal: s };
        });
      out.push({ method: method.toUpperCase(), segments, literalCount: segments.filter((s) => 'literal' in s).length });
    }
  }
  templates = out;
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Matches a request path against GitHub's path templates; params decoded, plus a path safe for the contract checker. */
export function matchRoute(method: string, path: string): { params: Record<string, string>; canonicalPath: string } | null {
  const parts = path.split('/').slice(1);
  let best: { t: Template; params: Record<string, string> } | null = null;
  for (const t of loadTemplates()) {
    if (t.method !== method) continue;
    const params = matchSegments(t.segments, parts);
    if (!params) continue;
    if (!best || t.literalCount > best.t.literalCount) best = { t, params };
  }
  if (!best) return null;
  const canonical = best.t.segments
    .map((s) =>
      'literal' in s
        ? s.literal
        : encodeURIComponent(best.params[s.param] ?? '')
            .replace(/%/g, '_')
            .replace(/\./g, '.'),
    )
    .join('/');
  return { params: best.params, canonicalPath: `/${canonical}` };
}

function matchSegments(segs: Template['segments'], parts: string[]): Record<string, string> | null {
  const params: Record<string, string> = {};
  let i = 0;
  for (let s = 0; s < segs.length; s++) {
    const seg = segs[s];
    if (!seg) return null;
    if ('literal' in seg) {
      if (parts[i] !== seg.literal) return null;
      i++;
      continue;
    }
    if (seg.multi) {
      const rest = segs.length - s - 1;
      const end = parts.length - rest;
      if (end <= i) return null;
      params[seg.param] = parts.slice(i, end).map(safeDecode).join('/');
      i = end;
      continue;
    }
    const p = parts[i];
    if (p === undefined || p === '') return null;
    params[seg.param] = safeDecode(p);
    i++;
  }
  return i === parts.length ? params : null;
}

// ------------------------------------------------------------------ helpers

function authed(ctx: RouteContext): Actor {
  const a = ctx.actor;
  if (a.kind === 'invalid') throw new HttpError(401, a.message);
  if (a.kind === 'anonymous') throw new HttpError(401, 'Requires authentication');
  return a;
}

function actorAccount(sb: GitHubSandbox, ctx: RouteContext): Account {
  const a = authed(ctx);
  if (a.kind === 'user') return a.account;
  if (a.kind === 'installation') return a.bot;
  throw new HttpError(403, 'A JSON web token cannot be used to access this resource; use an installation token.');
}

function repoOf(sb: GitHubSandbox, ctx: RouteContext, write = false): RepoState {
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
  if (write && perm === 'read') throw new HttpError(403, 'Must have admin rights to Repository.');
  return r;
}

function int(v: string | undefined, def: number): number {
  if (v === undefined || v === '') return def;
  const n = Number(v);
  return Number.isInteger(n) && n > 0 ? n : def;
}

/** Pages `items` as GitHub does and builds its `Link` header. */
function paginate<T>(ctx: RouteContext, items: T[], def = 30, max = 100): { items: T[]; headers: Record<string, string> } {
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

function pullOf(r: RepoState, n: string | undefined): PullState {
  const pr = r.pulls.get(Number(n));
  if (!pr) throw new HttpError(404, 'Not Found');
  return pr;
}

async function resolveRef(r: RepoState, ref: string): Promise<string> {
  const sha = (await r.git.resolve(ref)) ?? (await r.git.resolve(`refs/heads/${ref}`)) ?? (await r.git.resolve(`refs/tags/${ref}`));
  if (!sha) throw new HttpError(422, `No commit found for SHA: ${ref}`);
  return sha;
}

function viaApp(sb: GitHubSandbox, ctx: RouteContext): GitHubSandbox['app'] | null {
  return ctx.actor.kind === 'installation' ? (ctx.actor.app as GitHubSandbox['app']) : null;
}

function installationJson(sb: GitHubSandbox, inst: { id: number; account: Account; createdAt: string }): Record<string, unknown> {
  const b = sb.bases;
  return {
    id: inst.id,
    account: userJson(b, inst.account),
    repository_selection: 'all',
    access_tokens_url: `${b.api}/app/installations/${inst.id}/access_tokens`,
    repositories_url: `${b.api}/installation/repositories`,
    html_url: `${b.web}/organizations/${inst.account.login}/settings/installations/${inst.id}`,
    app_id: sb.app.id,
    client_id: sb.app.clientId,
    app_slug: sb.app.slug,
    target_id: inst.account.id,
    target_type: inst.account.type,
    permissions: sb.app.permissions,
    events: sb.app.events,
    created_at: inst.createdAt,
    updated_at: inst.createdAt,
    single_file_name: null,
    has_multiple_single_files: false,
    single_file_paths: [],
    suspended_by: null,
    suspended_at: null,
  };
}

function requireApp(ctx: RouteContext): void {
  const a = ctx.actor;
  if (a.kind === 'invalid') throw new HttpError(401, a.message);
  if (a.kind !== 'app') throw new HttpError(401, 'A JSON web token could not be decoded');
}

async function commitFiles(sb: GitHubSandbox, r: RepoState, sha: string): Promise<Array<Record<string, unknown>>> {
  const info = await r.git.commitInfo(sha);
  const parent = info?.parents[0] ?? null;
  return (await r.git.diff(parent, sha)).map((f) => diffEntryJson(sb.bases, r, sha, f));
}

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

function combinedState(states: string[]): string {
  if (states.length === 0) return 'pending';
  if (states.some((s) => s === 'error' || s === 'failure')) return 'failure';
  if (states.some((s) => s === 'pending')) return 'pending';
  return 'success';
}

async function deploymentChecksPass(sb: GitHubSandbox, r: RepoState, sha: string, required: string[] | undefined): Promise<string[]> {
  const latest = new Map<string, string>();
  for (const s of r.statuses.filter((x) => x.sha === sha)) latest.set(s.context, s.state);
  for (const c of [...r.checkRuns.values()].filter((x) => x.headSha === sha)) {
    latest.set(c.name, c.status !== 'completed' ? 'pending' : ['success', 'neutral', 'skipped'].includes(c.conclusion ?? '') ? 'success' : 'failure');
  }
  const contexts = required ?? [...latest.keys()];
  return contexts.filter((c) => latest.get(c) !== 'success');
}

// ------------------------------------------------------------------ handlers

const h: Record<string, Handler> = {
  'apps/get-authenticated': async (sb, ctx) => {
    requireApp(ctx);
    return { status: 200, body: { ...appJson(sb.bases, sb.app), installations_count: sb.installations.size } };
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
    await r.git.updateRef(ref, sha, null);
    if (ref.startsWith('refs/heads/')) await sb.afterRefMoved(r, ref.slice(11), null, sha, actorAccount(sb, ctx));
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
    await r.git.updateRef(ref, sha, before);
    if (ref.startsWith('refs/heads/')) await sb.afterRefMoved(r, ref.slice(11), before, sha, actorAccount(sb, ctx));
    return { status: 200, body: refJson(sb, r, ref, sha) };
  },

  'pulls/list': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const state = ctx.query.state ?? 'open';
    let list = [...r.pulls.values()].filter((p) => state === 'all' || p.state === state);
    if (ctx.query.head) {
      const [owner = '', ref] = ctx.query.head.includes(':') ? ctx.query.head.split(':', 2) : [r.owner.login, ctx.query.head];
      list = list.filter((p) => p.headRepo.owner.login.toLowerCase() === owner.toLowerCase() && p.headRef === ref);
    }
    if (ctx.query.base) list = list.filter((p) => p.baseRef === ctx.query.base);
    const asc = ctx.query.direction === 'asc';
    list.sort((a, b) => (asc ? a.number - b.number : b.number - a.number));
    const p = paginate(ctx, list);
    return { status: 200, body: await Promise.all(p.items.map((x) => sb.pullJson(r, x, false, true))), headers: p.headers };
  },
  'pulls/get': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    return { status: 200, body: await sb.pullJson(r, pullOf(r, ctx.params.pull_number)) };
  },
  'pulls/create': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const user = actorAccount(sb, ctx);
    const headSpec = String(ctx.body.head);
    let headRepo = r;
    let headRef = headSpec;
    if (headSpec.includes(':')) {
      const [owner = '', ref = ''] = headSpec.split(':', 2);
      headRef = ref;
      const fork =
        sb.findRepo(owner, typeof ctx.body.head_repo === 'string' ? ctx.body.head_repo : r.name) ??
        [...sb.repos.values()].find((x) => x.owner.login.toLowerCase() === owner.toLowerCase() && x.forkOf === r);
      if (!fork) throw new HttpError(422, 'Validation Failed', { errors: [{ resource: 'PullRequest', field: 'head', code: 'invalid' }] });
      headRepo = fork;
    }
    const pr = await sb.createPull(r, {
      headRepo,
      headRef,
      baseRef: String(ctx.body.base),
      title: String(ctx.body.title ?? ''),
      body: typeof ctx.body.body === 'string' ? ctx.body.body : null,
      user,
      draft: ctx.body.draft === true,
    });
    return { status: 201, body: await sb.pullJson(r, pr) };
  },
  'pulls/update': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const pr = pullOf(r, ctx.params.pull_number);
    const user = actorAccount(sb, ctx);
    if (user.id !== pr.user.id && ctx.actor.kind === 'user' && sb.permissionOf(r, user.login) === 'read') throw new HttpError(403, 'Resource not accessible by personal access token');
    const b = ctx.body;
    await sb.retarget(
      r,
      pr,
      typeof b.base === 'string' ? b.base : pr.baseRef,
      user,
      typeof b.title === 'string' ? b.title : undefined,
      typeof b.body === 'string' ? b.body : undefined,
      b.state === 'open' || b.state === 'closed' ? b.state : undefined,
    );
    return { status: 200, body: await sb.pullJson(r, pr) };
  },
  'pulls/merge': async (sb, ctx) => {
    const r = repoOf(sb, ctx, true);
    const pr = pullOf(r, ctx.params.pull_number);
    const opts: Parameters<GitHubSandbox['mergePull']>[3] = {};
    if (typeof ctx.body.sha === 'string') opts.sha = ctx.body.sha;
    if (typeof ctx.body.merge_method === 'string') opts.method = ctx.body.merge_method as 'merge';
    if (typeof ctx.body.commit_title === 'string') opts.title = ctx.body.commit_title;
    if (typeof ctx.body.commit_message === 'string') opts.message = ctx.body.commit_message;
    const sha = await sb.mergePull(r, pr, actorAccount(sb, ctx), opts);
    return { status: 200, body: { sha, merged: true, message: 'Pull Request successfully merged' } };
  },
  'pulls/list-commits': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const pr = pullOf(r, ctx.params.pull_number);
    const base = pr.merged ? pr.baseShaAtMerge : await r.git.branchSha(pr.baseRef);
    const shas = (await r.git.revList(base, pr.headSha)).slice(0, 250);
    const p = paginate(ctx, shas);
    await r.git.prefetch(p.items);
    const body = [];
    for (const s of p.items) body.push(commitJson(sb.bases, r, await sb.commitView(r, s)));
    return { status: 200, body, headers: p.headers };
  },
  'pulls/list-files': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const pr = pullOf(r, ctx.params.pull_number);
    const base = pr.merged ? pr.baseShaAtMerge : await r.git.branchSha(pr.baseRef);
    const mb = base ? await r.git.mergeBase(base, pr.headSha) : null;
    const files = (await r.git.diff(mb, pr.headSha)).slice(0, 3000);
    const p = paginate(ctx, files);
    return { status: 200, body: p.items.map((f) => diffEntryJson(sb.bases, r, pr.headSha, f)), headers: p.headers };
  },
  'pulls/list-reviews': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const pr = pullOf(r, ctx.params.pull_number);
    const me = ctx.actor.kind === 'user' ? ctx.actor.account.id : ctx.actor.kind === 'installation' ? ctx.actor.bot.id : -1;
    const list = [...r.reviews.values()].filter((x) => x.pullNumber === pr.number && (x.state !== 'PENDING' || x.user.id === me)).sort((a, b) => a.id - b.id);
    const p = paginate(ctx, list);
    return { status: 200, body: p.items.map((x) => sb.reviewJson(r, x)), headers: p.headers };
  },
  'pulls/get-review': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const pr = pullOf(r, ctx.params.pull_number);
    const rv = r.reviews.get(Number(ctx.params.review_id));
    if (!rv || rv.pullNumber !== pr.number) throw new HttpError(404, 'Not Found');
    return { status: 200, body: sb.reviewJson(r, rv) };
  },
  'pulls/create-review': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const pr = pullOf(r, ctx.params.pull_number);
    const input: { event?: string; body?: string; commitId?: string } = {};
    if (typeof ctx.body.event === 'string') input.event = ctx.body.event;
    if (typeof ctx.body.body === 'string') input.body = ctx.body.body;
    if (typeof ctx.body.commit_id === 'string') input.commitId = ctx.body.commit_id;
    const rv = await sb.submitReview(r, pr, actorAccount(sb, ctx), input);
    return { status: 200, body: sb.reviewJson(r, rv) };
  },
  'pulls/dismiss-review': async (sb, ctx) => {
    const r = repoOf(sb, ctx, true);
    const pr = pullOf(r, ctx.params.pull_number);
    const rv = r.reviews.get(Number(ctx.params.review_id));
    if (!rv || rv.pullNumber !== pr.number) throw new HttpError(404, 'Not Found');
    await sb.dismissReview(r, pr, rv, actorAccount(sb, ctx), String(ctx.body.message ?? ''));
    return { status: 200, body: sb.reviewJson(r, rv) };
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
  'repos/get-commit': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const sha = await resolveRef(r, ctx.params.ref ?? '');
    return { status: 200, body: commitJson(sb.bases, r, await sb.commitView(r, sha), await commitFiles(sb, r, sha)) };
  },
  'repos/list-commits': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const head = await resolveRef(r, ctx.query.sha ?? r.defaultBranch);
    const shas = (await r.git.revList(null, head)).reverse();
    const p = paginate(ctx, shas);
    await r.git.prefetch(p.items);
    const body = [];
    for (const s of p.items) body.push(commitJson(sb.bases, r, await sb.commitView(r, s)));
    return { status: 200, body, headers: p.headers };
  },
  'git/get-commit': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const info = await r.git.commitInfo(ctx.params.commit_sha ?? '');
    if (!info || info.sha !== ctx.params.commit_sha) throw new HttpError(404, 'Not Found');
    return { status: 200, body: gitCommitJson(sb.bases, r, await sb.commitView(r, info.sha)) };
  },
  'repos/list-pull-requests-associated-with-commit': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const sha = await resolveRef(r, ctx.params.commit_sha ?? '');
    const found: PullState[] = [];
    for (const pr of r.pulls.values()) {
      if (pr.mergeCommitSha === sha) {
        found.push(pr);
        continue;
      }
      const base = pr.merged ? pr.baseShaAtMerge : await r.git.branchSha(pr.baseRef);
      if (!(await r.git.isAncestor(sha, pr.headSha))) continue;
      if (base && (await r.git.isAncestor(sha, base)) && !pr.merged) continue;
      if (base && pr.merged && (await r.git.isAncestor(sha, base))) continue;
      found.push(pr);
    }
    found.sort((a, b) => b.number - a.number);
    const p = paginate(ctx, found);
    return { status: 200, body: await Promise.all(p.items.map((x) => sb.pullJson(r, x, false, true))), headers: p.headers };
  },

  'checks/list-for-ref': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const sha = await resolveRef(r, ctx.params.ref ?? '');
    let runs = [...r.checkRuns.values()].filter((c) => c.headSha === sha).sort((a, b) => b.id - a.id);
    if (ctx.query.check_name) runs = runs.filter((c) => c.name === ctx.query.check_name);
    if (ctx.query.status) runs = runs.filter((c) => c.status === ctx.query.status);
    if (ctx.query.app_id) runs = runs.filter((c) => String(c.app.id) === ctx.query.app_id);
    if ((ctx.query.filter ?? 'latest') === 'latest') {
      const seen = new Set<string>();
      runs = runs.filter((c) => {
        const k = `${c.app.id}/${c.name}`;
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
    }
    const p = paginate(ctx, runs);
    return { status: 200, body: { total_count: runs.length, check_runs: await Promise.all(p.items.map((c) => sb.checkRunJson(r, c))) }, headers: p.headers };
  },
  'checks/get': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const run = r.checkRuns.get(Number(ctx.params.check_run_id));
    if (!run) throw new HttpError(404, 'Not Found');
    return { status: 200, body: await sb.checkRunJson(r, run) };
  },
  'checks/create': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    if (ctx.actor.kind !== 'installation') throw new HttpError(403, 'You must authenticate via a GitHub App.');
    const run = await sb.createCheckRun(r, ctx.actor.app, ctx.body);
    return { status: 201, body: await sb.checkRunJson(r, run) };
  },
  'checks/update': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    if (ctx.actor.kind !== 'installation') throw new HttpError(403, 'You must authenticate via a GitHub App.');
    const run = r.checkRuns.get(Number(ctx.params.check_run_id));
    if (!run) throw new HttpError(404, 'Not Found');
    if (run.app.id !== ctx.actor.app.id) throw new HttpError(403, 'Invalid app_id `' + ctx.actor.app.id + '` - check run can only be modified by the GitHub App that created it.');
    const wasCompleted = run.status === 'completed';
    sb.applyCheckRunInput(run, ctx.body);
    if (!wasCompleted && run.status === 'completed') await sb.checkRunCompleted(r, run);
    return { status: 200, body: await sb.checkRunJson(r, run) };
  },
  'repos/get-combined-status-for-ref': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const sha = await resolveRef(r, ctx.params.ref ?? '');
    const latest = new Map<string, (typeof r.statuses)[number]>();
    for (const s of r.statuses.filter((x) => x.sha === sha)) latest.set(s.context, s);
    const statuses = [...latest.values()];
    const p = paginate(ctx, statuses, 100, 100);
    const min = repoJson(sb.bases, r);
    return {
      status: 200,
      body: {
        state: combinedState(statuses.map((s) => s.state)),
        statuses: p.items.map((s) => sb.statusJson(r, s, true)),
        sha,
        total_count: statuses.length,
        repository: min,
        commit_url: `${repoApiUrl(sb.bases, r)}/commits/${sha}`,
        url: `${repoApiUrl(sb.bases, r)}/commits/${sha}/status`,
      },
      headers: p.headers,
    };
  },
  'repos/list-commit-statuses-for-ref': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const sha = await resolveRef(r, ctx.params.ref ?? '');
    const list = r.statuses.filter((x) => x.sha === sha).reverse();
    const p = paginate(ctx, list);
    return { status: 200, body: p.items.map((s) => sb.statusJson(r, s)), headers: p.headers };
  },
  'repos/create-commit-status': async (sb, ctx) => {
    const r = repoOf(sb, ctx, true);
    const st = await sb.createStatus(r, ctx.params.sha ?? '', actorAccount(sb, ctx), ctx.body);
    return { status: 201, body: sb.statusJson(r, st) };
  },

  'repos/list-deployments': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    let list = [...r.deployments.values()].sort((a, b) => b.id - a.id);
    const q = ctx.query;
    if (q.sha) list = list.filter((d) => d.sha === q.sha);
    if (q.ref) list = list.filter((d) => d.ref === q.ref);
    if (q.task) list = list.filter((d) => d.task === q.task);
    if (q.environment) list = list.filter((d) => d.environment === q.environment);
    const p = paginate(ctx, list);
    return { status: 200, body: p.items.map((d) => sb.deploymentJson(r, d)), headers: p.headers };
  },
  'repos/get-deployment': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const d = r.deployments.get(Number(ctx.params.deployment_id));
    if (!d) throw new HttpError(404, 'Not Found');
    return { status: 200, body: sb.deploymentJson(r, d) };
  },
  'repos/create-deployment': async (sb, ctx) => {
    const r = repoOf(sb, ctx, true);
    const b = ctx.body;
    const ref = String(b.ref);
    const sha = (await r.git.resolve(`refs/heads/${ref}`)) ?? (await r.git.resolve(`refs/tags/${ref}`)) ?? (await r.git.resolve(ref));
    if (!sha) throw new HttpError(422, `No ref found for: ${ref}`);
    const required = Array.isArray(b.required_contexts) ? (b.required_contexts as string[]) : undefined;
    const failing = await deploymentChecksPass(sb, r, sha, required);
    if (failing.length)
      throw new HttpError(409, `Conflict: Commit status checks failed for ${ref}.`, {
        errors: failing.map((c) => ({ contexts: [{ context: c, state: 'failure' }], resource: 'Deployment', field: 'required_contexts', code: 'invalid' })),
      });
    const environment = typeof b.environment === 'string' ? b.environment : 'production';
    const now = iso();
    const d: DeploymentState = {
      id: sb.nextId() + 40_000_000,
      sha,
      ref,
      task: typeof b.task === 'string' ? b.task : 'deploy',
      environment,
      payload: b.payload === undefined ? {} : typeof b.payload === 'string' ? safeJson(b.payload) : b.payload,
      description: typeof b.description === 'string' ? b.description : null,
      creator: actorAccount(sb, ctx),
      viaApp: viaApp(sb, ctx),
      transient: b.transient_environment === true,
      production: typeof b.production_environment === 'boolean' ? b.production_environment : environment === 'production',
      createdAt: now,
      updatedAt: now,
      statuses: [],
    };
    r.deployments.set(d.id, d);
    await sb.emit(r, 'deployment', { action: 'created', deployment: sb.deploymentJson(r, d), workflow: null, workflow_run: null }, d.creator);
    return { status: 201, body: sb.deploymentJson(r, d) };
  },
  'repos/list-deployment-statuses': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const d = r.deployments.get(Number(ctx.params.deployment_id));
    if (!d) throw new HttpError(404, 'Not Found');
    const p = paginate(ctx, [...d.statuses].reverse());
    return { status: 200, body: p.items.map((s) => sb.deploymentStatusJson(r, d, s)), headers: p.headers };
  },
  'repos/create-deployment-status': async (sb, ctx) => {
    const r = repoOf(sb, ctx, true);
    const d = r.deployments.get(Number(ctx.params.deployment_id));
    if (!d) throw new HttpError(404, 'Not Found');
    const b = ctx.body;
    const creator = actorAccount(sb, ctx);
    const status = {
      id: sb.nextId() + 50_000_000,
      state: b.state as DeploymentState['statuses'][number]['state'],
      description: typeof b.description === 'string' ? b.description : '',
      environment: typeof b.environment === 'string' ? b.environment : d.environment,
      targetUrl: typeof b.target_url === 'string' ? b.target_url : typeof b.log_url === 'string' ? b.log_url : '',
      logUrl: typeof b.log_url === 'string' ? b.log_url : typeof b.target_url === 'string' ? b.target_url : '',
      environmentUrl: typeof b.environment_url === 'string' ? b.environment_url : '',
      creator,
      viaApp: viaApp(sb, ctx),
      createdAt: iso(),
    };
    d.statuses.push(status);
    d.updatedAt = status.createdAt;
    if (status.state === 'success' && b.auto_inactive !== false && !d.transient) {
      for (const other of r.deployments.values()) {
        if (other === d || other.environment !== d.environment || other.transient) continue;
        const last = other.statuses[other.statuses.length - 1];
        if (last && last.state === 'success') other.statuses.push({ ...last, id: sb.nextId() + 50_000_000, state: 'inactive', description: 'Superseded', createdAt: iso() });
      }
    }
    await sb.emit(
      r,
      'deployment_status',
      { action: 'created', deployment_status: sb.deploymentStatusJson(r, d, status), deployment: sb.deploymentJson(r, d), check_run: null, workflow: null, workflow_run: null },
      creator,
    );
    return { status: 201, body: sb.deploymentStatusJson(r, d, status) };
  },

  'issues/list-comments': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const n = Number(ctx.params.issue_number);
    if (!r.pulls.has(n)) throw new HttpError(404, 'Not Found');
    const list = [...r.comments.values()].filter((c) => c.issueNumber === n).sort((a, b) => a.id - b.id);
    const p = paginate(ctx, list);
    return { status: 200, body: p.items.map((c) => sb.commentJson(r, c)), headers: p.headers };
  },
  'issues/create-comment': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const c = await sb.addComment(r, Number(ctx.params.issue_number), actorAccount(sb, ctx), String(ctx.body.body), viaApp(sb, ctx));
    return { status: 201, body: sb.commentJson(r, c) };
  },
  'issues/get-comment': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const c = r.comments.get(Number(ctx.params.comment_id));
    if (!c) throw new HttpError(404, 'Not Found');
    return { status: 200, body: sb.commentJson(r, c) };
  },
  'issues/update-comment': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const c = r.comments.get(Number(ctx.params.comment_id));
    if (!c) throw new HttpError(404, 'Not Found');
    const me = actorAccount(sb, ctx);
    if (me.id !== c.user.id && !(ctx.actor.kind === 'user' && sb.permissionOf(r, me.login) !== 'read')) throw new HttpError(403, 'Resource not accessible by integration');
    const old = c.body;
    c.body = String(ctx.body.body);
    c.updatedAt = iso();
    const pr = r.pulls.get(c.issueNumber);
    if (pr && old !== c.body)
      await sb.emit(r, 'issue_comment', { action: 'edited', changes: { body: { from: old } }, issue: await sb.issueJson(r, pr, true), comment: sb.commentJson(r, c, true) }, me);
    return { status: 200, body: sb.commentJson(r, c) };
  },
  'reactions/create-for-issue-comment': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const c = r.comments.get(Number(ctx.params.comment_id));
    if (!c) throw new HttpError(404, 'Not Found');
    const me = actorAccount(sb, ctx);
    const content = String(ctx.body.content);
    const existing = c.reactions.find((x) => x.user.id === me.id && x.content === content);
    const reaction = existing ?? { id: sb.nextId() + 60_000_000, user: me, content, createdAt: iso() };
    if (!existing) c.reactions.push(reaction);
    return {
      status: existing ? 200 : 201,
      body: { id: reaction.id, node_id: nodeId('Reaction', reaction.id), user: userJson(sb.bases, reaction.user), content: reaction.content, created_at: reaction.createdAt },
    };
  },

  'actions/create-workflow-dispatch': async (sb, ctx) => {
    const r = repoOf(sb, ctx, true);
    const inputs = (ctx.body.inputs ?? {}) as Record<string, unknown>;
    const run = await sb.runner.dispatch(r, ctx.params.workflow_id ?? '', String(ctx.body.ref), inputs, actorAccount(sb, ctx));
    if (ctx.body.return_run_details === true) {
      return { status: 200, body: { workflow_run_id: run.id, run_url: `${repoApiUrl(sb.bases, r)}/actions/runs/${run.id}`, html_url: `${repoHtmlUrl(sb.bases, r)}/actions/runs/${run.id}` } };
    }
    return { status: 204 };
  },

  'repos/get-collaborator-permission-level': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const u = sb.findAccount(ctx.params.username ?? '');
    if (!u || u.type === 'Organization') throw new HttpError(404, 'Not Found');
    const perm = sb.permissionOf(r, u.login);
    const roleName = perm === 'none' ? 'none' : perm === 'read' ? 'read' : perm;
    const user = {
      ...userJson(sb.bases, u),
      permissions: { admin: perm === 'admin', maintain: perm === 'admin', push: perm === 'admin' || perm === 'write', triage: perm !== 'none' && perm !== 'read', pull: perm !== 'none' },
      role_name: roleName,
    };
    return { status: 200, body: { permission: perm, role_name: roleName, user } };
  },
  'teams/get-membership-for-user-in-org': async (sb, ctx) => {
    authed(ctx);
    const team = sb.teams.get(`${(ctx.params.org ?? '').toLowerCase()}/${(ctx.params.team_slug ?? '').toLowerCase()}`);
    const m = team?.members.get((ctx.params.username ?? '').toLowerCase());
    if (!team || !m) throw new HttpError(404, 'Not Found');
    return { status: 200, body: { url: `${sb.bases.api}/organizations/${team.org.id}/team/${team.id}/memberships/${ctx.params.username}`, role: m.role, state: m.state } };
  },

  'repos/list-releases': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const list = [...r.releases.values()].sort((a, b) => b.id - a.id);
    const p = paginate(ctx, list);
    return { status: 200, body: p.items.map((x) => sb.releaseJson(r, x)), headers: p.headers };
  },
  'repos/get-latest-release': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const rel = [...r.releases.values()].filter((x) => !x.draft && !x.prerelease).sort((a, b) => b.id - a.id)[0];
    if (!rel) throw new HttpError(404, 'Not Found');
    return { status: 200, body: sb.releaseJson(r, rel) };
  },
  'repos/get-release-by-tag': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const rel = [...r.releases.values()].find((x) => x.tagName === ctx.params.tag);
    if (!rel) throw new HttpError(404, 'Not Found');
    return { status: 200, body: sb.releaseJson(r, rel) };
  },
  'repos/create-release': async (sb, ctx) => {
    const r = repoOf(sb, ctx, true);
    const b = ctx.body;
    const tag = String(b.tag_name);
    if ([...r.releases.values()].some((x) => x.tagName === tag)) throw new HttpError(422, 'Validation Failed', { errors: [{ resource: 'Release', code: 'already_exists', field: 'tag_name' }] });
    const target = typeof b.target_commitish === 'string' ? b.target_commitish : r.defaultBranch;
    const existing = await r.git.resolve(`refs/tags/${tag}`);
    if (!existing) {
      const sha = (await r.git.resolve(`refs/heads/${target}`)) ?? (await r.git.resolve(target));
      if (!sha) throw new HttpError(422, 'Validation Failed', { errors: [{ resource: 'Release', code: 'invalid', field: 'target_commitish' }] });
      if (b.draft !== true) await r.git.updateRef(`refs/tags/${tag}`, sha, null);
    }
    const now = iso();
    const rel = {
      id: sb.nextId() + 70_000_000,
      tagName: tag,
      targetCommitish: target,
      name: typeof b.name === 'string' ? b.name : tag,
      body: typeof b.body === 'string' ? b.body : null,
      draft: b.draft === true,
      prerelease: b.prerelease === true,
      author: actorAccount(sb, ctx),
      createdAt: now,
      publishedAt: b.draft === true ? null : now,
    };
    r.releases.set(rel.id, rel);
    return { status: 201, body: sb.releaseJson(r, rel) };
  },
};

function refJson(sb: GitHubSandbox, r: RepoState, ref: string, sha: string): Record<string, unknown> {
  return { ref, node_id: nodeId('Ref', `${r.id}:${ref}`), url: `${repoApiUrl(sb.bases, r)}/git/${ref}`, object: { type: 'commit', sha, url: `${repoApiUrl(sb.bases, r)}/git/commits/${sha}` } };
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

/** The operationIds the sandbox implements. */
export const servedOperations: ReadonlySet<string> = new Set(Object.keys(h));

/** Runs the handler of `ctx.operationId`; operations GitHub has but the sandbox does not serve answer 501. */
export async function dispatchRoute(sb: GitHubSandbox, ctx: RouteContext): Promise<RouteResult> {
  const handler = h[ctx.operationId];
  if (!handler) throw new HttpError(501, `The sandbox does not implement ${ctx.operationId}`);
  return handler(sb, ctx);
}
