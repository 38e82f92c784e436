import nock from 'nock';
import { githubContract } from '../../sandbox/github-openapi.js';

/** A commit in the mocked repository. */
export interface WorldCommit {
  sha: string;
  tree: string;
  parents: string[];
  message: string;
  author: { login: string | null; name: string; email: string; date: string };
  committer: { login: string | null; name: string; email: string; date: string };
  files: string[];
}

/** A pull request in the mocked repository. */
export interface WorldPull {
  number: number;
  title: string;
  user: string;
  state: 'open' | 'closed';
  merged: boolean;
  merged_by: string | null;
  merge_commit_sha: string | null;
  head: { ref: string; sha: string; repo: string };
  base: { ref: string; sha: string };
  merged_at?: string | null;
  updated_at?: string;
}

/** One request the app made, as recorded at the HTTP edge. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  operationId: string | null;
}

type Handler = (m: { params: Record<string, string>; query: Record<string, string>; body: any; url: URL }) => { status: number; body?: unknown; headers?: Record<string, string> };

const API = 'https://api.github.com';

/**
 * An in-memory GitHub for app tests, served at the HTTP edge through nock. Every request is
 * checked against GitHub's OpenAPI description; a request GitHub would reject, or one with no
 * route here, is a recorded violation (tests assert there are none).
 */
export class GitHubWorld {
  owner = 'acme';
  repo = 'app';
  defaultBranch = 'master';
  /** Files per ref (branch name or commit SHA). */
  files = new Map<string, Map<string, string>>();
  commits = new Map<string, WorldCommit>();
  /** The commits of base...head for each `base...head` key, oldest first. */
  ranges = new Map<string, string[]>();
  pulls = new Map<number, WorldPull>();
  reviews = new Map<number, { id: number; user: string; state: string; commit_id: string; submitted_at: string }[]>();
  pullFiles = new Map<number, string[]>();
  checkRuns: { id: number; name: string; head_sha: string; status: string; conclusion: string | null; started_at: string; output?: { title?: string; summary?: string; text?: string } }[] = [];
  statuses: { id: number; sha: string; context: string; state: string; created_at: string }[] = [];
  deployments: {
    id: number;
    sha: string;
    ref: string;
    environment: string;
    payload: unknown;
    created_at: string;
    /** False for a deployment a user created with their own token. */
    byApp?: boolean;
    statuses: { id: number; state: string; description: string; created_at: string; log_url?: string | null }[];
  }[] = [];
  /** Ref updates of branches, newest first (`GET /repos/{o}/{r}/activity`); when empty, each range is one push by its head's author. */
  activities: { before: string; after: string; ref: string; actor: string; activity_type?: string }[] = [];
  /** Workflow runs by id. */
  runs = new Map<number, Record<string, unknown>>();
  comments: { id: number; issue: number; body: string; bot: boolean; author?: string }[] = [];
  dispatches: { workflow: string; ref: string; inputs: Record<string, string> }[] = [];
  teams = new Map<string, Map<string, 'active' | 'pending'>>();
  /** Repository role per login; anyone not listed has `write`. */
  permissions = new Map<string, 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none'>();
  requests: RecordedRequest[] = [];
  violations: string[] = [];
  /** Routes that answer with an error status instead (e.g. to simulate GitHub failing). */
  failures = new Map<string, number>();
  private nextId = 1000;
  private readonly routes: { method: string; template: string; re: RegExp; keys: string[]; handler: Handler }[] = [];

  constructor() {
    this.defineRoutes();
  }

  id(): number {
    return this.nextId++;
  }

  /** Starts intercepting api.github.com. */
  start(): void {
    nock.disableNetConnect();
    const handle = (method: string) =>
      function (this: unknown, uri: string, body: unknown) {
        return world.handle(method, uri, body);
      };
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- nock's reply callback binds its own `this`
    const world = this;
    for (const method of ['get', 'post', 'patch', 'put', 'delete'] as const) {
      nock(API)
        .persist()
        [method](/.*/)
        .reply(function (uri, body) {
          const r = handle(method.toUpperCase()).call(this, uri, body);
          return [r.status, r.body === undefined ? '' : JSON.stringify(r.body), { 'content-type': 'application/json', ...(r.headers ?? {}) }];
        });
    }
  }

  /** Stops intercepting. */
  stop(): void {
    nock.cleanAll();
    nock.enableNetConnect();
  }

  /** Requests whose operation id is one of `ids`. */
  made(...ids: string[]): RecordedRequest[] {
    return this.requests.filter((r) => r.operationId !== null && ids.includes(r.operationId));
  }

  /** The newest `stagegate` check run on a commit. */
  gateCheck(sha: string) {
    return [...this.checkRuns].reverse().find((c) => c.name === 'stagegate' && c.head_sha === sha);
  }

  /** Stagegate's comments on an issue carrying a marker. */
  commentsWith(issue: number, marker: string) {
    return this.comments.filter((c) => c.issue === issue && c.body.includes(marker));
  }

  private route(method: string, template: string, handler: Handler): void {
    const keys: string[] = [];
    const re = new RegExp(
      `^${template.replace(/\{(\w+)\}/g, (_m, k: string) => {
        keys.push(k);
        return k === 'path' || k === 'basehead' ? '(.+)' : '([^/]+)';
      })}$`,
    );
    this.routes.push({ method, template, re, keys, handler });
  }

  private handle(method: string, uri: string, rawBody: unknown): { status: number; body?: unknown; headers?: Record<string, string> } {
    const url = new URL(uri, API);
    const query = Object.fromEntries(url.searchParams.entries());
    const body = typeof rawBody === 'string' && rawBody.length ? safeJson(rawBody) : rawBody || undefined;
    const path = decodeURIComponent(url.pathname);
    const verdict = githubContract().checkRequest({ method, path: url.pathname, query, body: body === '' ? undefined : body, headers: { 'content-type': 'application/json' } });
    this.requests.push({ method, path, query, body, operationId: verdict.operationId });
    if (verdict.status !== 200) {
      this.violations.push(...verdict.errors);
      return { status: verdict.status, body: { message: verdict.status === 404 ? 'Not Found' : 'Validation Failed' } };
    }
    const failing = verdict.operationId ? this.failures.get(verdict.operationId) : undefined;
    if (failing) return { status: failing, body: { message: 'Server Error' } };
    for (const r of this.routes) {
      if (r.method !== method) continue;
      const m = r.re.exec(path);
      if (!m) continue;
      const params = Object.fromEntries(r.keys.map((k, i) => [k, m[i + 1] ?? '']));
      return r.handler({ params, query, body, url });
    }
    this.violations.push(`no mocked route for ${method} ${path} (${verdict.operationId})`);
    return { status: 404, body: { message: 'Not Found' } };
  }

  private page<T>(url: URL, items: T[], max = 100): { status: number; body: T[]; headers: Record<string, string> } {
    const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), max);
    const page = Number(url.searchParams.get('page') ?? 1);
    const slice = items.slice((page - 1) * perPage, page * perPage);
    const headers: Record<string, string> = {};
    if (page * perPage < items.length) {
      const next = new URL(url);
      next.searchParams.set('page', String(page + 1));
      headers.link = `<${next.toString()}>; rel="next"`;
    }
    return { status: 200, body: slice, headers };
  }

  private user(login: string | null, type: 'User' | 'Bot' = 'User') {
    return login === null ? null : { login, id: login.length, type };
  }

  private apiPull(p: WorldPull) {
    const repoObj = (full: string) => ({ id: full === `${this.owner}/${this.repo}` ? 1 : 2, full_name: full, name: full.split('/')[1] });
    return {
      number: p.number,
      title: p.title,
      html_url: `https://github.com/${this.owner}/${this.repo}/pull/${p.number}`,
      user: this.user(p.user),
      state: p.state,
      draft: false,
      merged: p.merged,
      merged_by: this.user(p.merged_by),
      merge_commit_sha: p.merge_commit_sha,
      merged_at: p.merged_at ?? null,
      updated_at: p.updated_at ?? '2026-11-20T10:00:00Z',
      changed_files: this.pullFiles.get(p.number)?.length ?? 0,
      head: { ref: p.head.ref, sha: p.head.sha, repo: repoObj(p.head.repo) },
      base: { ref: p.base.ref, sha: p.base.sha, repo: repoObj(`${this.owner}/${this.repo}`) },
    };
  }

  private apiCommit(c: WorldCommit) {
    return {
      sha: c.sha,
      parents: c.parents.map((sha) => ({ sha })),
      commit: {
        message: c.message,
        author: { name: c.author.name, email: c.author.email, date: c.author.date },
        committer: { name: c.committer.name, email: c.committer.email, date: c.committer.date },
        tree: { sha: c.tree },
      },
      author: this.user(c.author.login),
      committer: this.user(c.committer.login),
      files: c.files.map((filename) => ({ filename, status: 'modified' })),
    };
  }

  private defineRoutes(): void {
    const prefix = '/repos/{owner}/{repo}';
    this.route('GET', '/app', () => ({ status: 200, body: { id: 123, slug: 'stagegate', name: 'Stagegate' } }));
    this.route('POST', '/app/installations/{installation_id}/access_tokens', () => ({ status: 201, body: { token: 'ghs_test', expires_at: '2099-01-01T00:00:00Z', permissions: {} } }));
    this.route('GET', `${prefix}/pulls/{pull_number}`, ({ params }) => {
      const p = this.pulls.get(Number(params.pull_number));
      return p ? { status: 200, body: this.apiPull(p) } : { status: 404, body: { message: 'Not Found' } };
    });
    this.route('GET', `${prefix}/pulls`, ({ url, query }) => {
      let list = [...this.pulls.values()].sort((a, b) => b.number - a.number);
      if (query.state && query.state !== 'all') list = list.filter((p) => p.state === query.state);
      if (query.base) list = list.filter((p) => p.base.ref === query.base);
      if (query.head) list = list.filter((p) => `${p.head.repo.split('/')[0]}:${p.head.ref}` === query.head);
      return this.page(
        url,
        list.map((p) => this.apiPull(p)),
      );
    });
    this.route('GET', `${prefix}/contents/{path}`, ({ params, query }) => {
      const text = this.files.get(query.ref ?? this.defaultBranch)?.get(params.path ?? '');
      if (text === undefined) return { status: 404, body: { message: 'Not Found' } };
      return { status: 200, body: { type: 'file', encoding: 'base64', content: Buffer.from(text).toString('base64'), path: params.path, name: params.path?.split('/').pop() } };
    });
    this.route('GET', `${prefix}/compare/{basehead}`, ({ params, url }) => {
      const shas = this.ranges.get(params.basehead ?? '') ?? [];
      const paged = this.page(
        url,
        shas.map((s) => this.apiCommit(this.commits.get(s)!)),
        100,
      );
      // As GitHub: the changed files (at most 300) on the first page only, and the merge base (here the base).
      const [baseSha = ''] = (params.basehead ?? '').split('...');
      const page = Number(url.searchParams.get('page') ?? 1);
      const files = page === 1 ? [...new Set(shas.flatMap((s) => this.commits.get(s)!.files))].slice(0, 300).map((filename) => ({ filename, status: 'modified' })) : [];
      const mergeBase = this.commits.get(baseSha);
      const merge_base_commit = { sha: baseSha, commit: { tree: { sha: mergeBase?.tree ?? '' } } };
      return { status: 200, headers: paged.headers, body: { total_commits: shas.length, commits: paged.body, status: 'ahead', ahead_by: shas.length, behind_by: 0, files, merge_base_commit } };
    });
    this.route('GET', `${prefix}/pulls/{pull_number}/files`, ({ params, url }) =>
      this.page(
        url,
        (this.pullFiles.get(Number(params.pull_number)) ?? []).slice(0, 3000).map((filename) => ({ filename, status: 'modified' })),
      ),
    );
    this.route('GET', `${prefix}/pulls/{pull_number}/reviews`, ({ params, url }) =>
      this.page(
        url,
        (this.reviews.get(Number(params.pull_number)) ?? []).map((r) => ({ ...r, user: this.user(r.user) })),
      ),
    );
    this.route('GET', `${prefix}/commits/{ref}/check-runs`, ({ params, query, url }) => {
      let runs = this.checkRuns.filter((c) => c.head_sha === params.ref);
      if (query.check_name) runs = runs.filter((c) => c.name === query.check_name);
      runs = [...runs].reverse();
      const paged = this.page(url, runs);
      return { status: 200, headers: paged.headers, body: { total_count: runs.length, check_runs: paged.body.map((c) => ({ ...c, html_url: null })) } };
    });
    this.route('GET', `${prefix}/commits/{ref}/statuses`, ({ params, url }) =>
      this.page(
        url,
        this.statuses
          .filter((s) => s.sha === params.ref)
          .reverse()
          .map((s) => ({ ...s, target_url: null })),
      ),
    );
    this.route('GET', `${prefix}/commits/{commit_sha}/pulls`, ({ params, url }) =>
      this.page(
        url,
        [...this.pulls.values()].filter((p) => p.head.sha === params.commit_sha).map((p) => this.apiPull(p)),
      ),
    );
    this.route('GET', `${prefix}/commits/{ref}`, ({ params }) => {
      const c = this.commits.get(params.ref ?? '');
      return c ? { status: 200, body: this.apiCommit(c) } : { status: 404, body: { message: 'Not Found' } };
    });
    this.route('GET', `${prefix}/git/commits/{commit_sha}`, ({ params }) => {
      const c = this.commits.get(params.commit_sha ?? '');
      return c ? { status: 200, body: { sha: c.sha, tree: { sha: c.tree }, parents: c.parents.map((sha) => ({ sha })), message: c.message } } : { status: 404, body: { message: 'Not Found' } };
    });
    this.route('POST', `${prefix}/check-runs`, ({ body }) => {
      const run = {
        id: this.id(),
        name: body.name,
        head_sha: body.head_sha,
        status: body.status ?? 'queued',
        conclusion: body.conclusion ?? null,
        started_at: body.started_at ?? new Date().toISOString(),
        output: body.output,
      };
      this.checkRuns.push(run);
      return { status: 201, body: run };
    });
    this.route('GET', `${prefix}/deployments`, ({ query, url }) => {
      let list = [...this.deployments].reverse();
      if (query.environment) list = list.filter((d) => d.environment === query.environment);
      if (query.sha) list = list.filter((d) => d.sha === query.sha);
      return this.page(
        url,
        list.map(({ statuses: _s, ...d }) => ({ ...d, creator: this.user('stagegate[bot]', 'Bot'), performed_via_github_app: d.byApp === false ? null : { id: 123, slug: 'stagegate' } })),
      );
    });
    this.route('POST', `${prefix}/deployments`, ({ body }) => {
      const d = { id: this.id(), sha: body.ref, ref: body.ref, environment: body.environment, payload: body.payload, created_at: new Date().toISOString(), statuses: [] };
      this.deployments.push(d);
      return { status: 201, body: { ...d, statuses: undefined } };
    });
    this.route('GET', `${prefix}/activity`, ({ query }) => {
      const ref = (query.ref ?? '').replace(/^refs\/heads\//, '');
      const listed = this.activities.length
        ? this.activities.filter((a) => a.ref.replace(/^refs\/heads\//, '') === ref)
        : [...this.ranges.entries()].map(([key, shas]) => {
            const [before = '', after = ''] = key.split('...');
            return { before, after, ref, actor: this.commits.get(shas.at(-1) ?? '')?.author.login ?? 'ghost', activity_type: 'push' };
          });
      return {
        status: 200,
        body: listed.map((a: { before: string; after: string; ref: string; actor: string; activity_type?: string }, i) => ({
          id: i + 1,
          node_id: `A${i}`,
          before: a.before,
          after: a.after,
          ref: `refs/heads/${ref}`,
          timestamp: '2026-11-20T10:00:00Z',
          activity_type: a.activity_type ?? 'push',
          actor: this.user(a.actor),
        })),
      };
    });
    this.route('GET', `${prefix}/actions/runs/{run_id}`, ({ params }) => {
      const r = this.runs.get(Number(params.run_id));
      return r ? { status: 200, body: r } : { status: 404, body: { message: 'Not Found' } };
    });
    this.route('GET', `${prefix}/deployments/{deployment_id}/statuses`, ({ params, url }) => {
      const d = this.deployments.find((x) => x.id === Number(params.deployment_id));
      return this.page(url, d ? [...d.statuses].reverse() : []);
    });
    this.route('POST', `${prefix}/deployments/{deployment_id}/statuses`, ({ params, body }) => {
      const d = this.deployments.find((x) => x.id === Number(params.deployment_id));
      if (!d) return { status: 404, body: { message: 'Not Found' } };
      const s = { id: this.id(), state: body.state, description: body.description ?? '', created_at: new Date().toISOString() };
      d.statuses.push(s);
      return { status: 201, body: s };
    });
    this.route('GET', `${prefix}/issues/{issue_number}/comments`, ({ params, url }) =>
      this.page(
        url,
        this.comments
          .filter((c) => c.issue === Number(params.issue_number))
          .map((c) => ({ id: c.id, body: c.body, user: this.user(c.bot ? 'stagegate[bot]' : (c.author ?? 'someone'), c.bot ? 'Bot' : 'User') })),
      ),
    );
    this.route('POST', `${prefix}/issues/{issue_number}/comments`, ({ params, body }) => {
      const c = { id: this.id(), issue: Number(params.issue_number), body: body.body, bot: true };
      this.comments.push(c);
      return { status: 201, body: { id: c.id, body: c.body } };
    });
    this.route('PATCH', `${prefix}/issues/comments/{comment_id}`, ({ params, body }) => {
      const c = this.comments.find((x) => x.id === Number(params.comment_id));
      if (!c) return { status: 404, body: { message: 'Not Found' } };
      c.body = body.body;
      return { status: 200, body: { id: c.id, body: c.body } };
    });
    this.route('POST', `${prefix}/actions/workflows/{workflow_id}/dispatches`, ({ params, body }) => {
      this.dispatches.push({ workflow: params.workflow_id ?? '', ref: body.ref, inputs: body.inputs });
      return { status: 204 };
    });
    this.route('GET', `${prefix}/collaborators/{username}/permission`, ({ params }) => {
      const role = this.permissions.get(params.username ?? '') ?? 'write';
      if (role === 'none') return { status: 404, body: { message: 'Not Found' } };
      const legacy = role === 'maintain' ? 'write' : role === 'triage' ? 'read' : role;
      return { status: 200, body: { permission: legacy, role_name: role, user: this.user(params.username ?? null) } };
    });
    this.route('GET', '/orgs/{org}/teams/{team_slug}/memberships/{username}', ({ params }) => {
      const state = this.teams.get(`${params.org}/${params.team_slug}`)?.get(params.username ?? '');
      return state ? { status: 200, body: { state, role: 'member' } } : { status: 404, body: { message: 'Not Found' } };
    });
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
