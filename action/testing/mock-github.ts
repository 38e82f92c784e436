import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { githubContract, type GitHubContract } from '../../sandbox/github-openapi.js';

/**
 * Test support (not bundled): a stand-in for the GitHub REST API routes the Action uses, on
 * 127.0.0.1. With `validate` (the default) every request is checked with `checkRequest` and every
 * response it serves with `checkResponse` against GitHub's OpenAPI description; problems are
 * recorded in `violations` (and a request GitHub would reject gets GitHub's status).
 */

/** A deployment as the mock stores it (the REST shape). */
export interface MockDeployment {
  id: number;
  sha: string;
  ref: string;
  environment: string;
  payload: Record<string, unknown>;
  description: string | null;
  created_at: string;
}

/** A deployment status as stored. */
export interface MockStatus {
  id: number;
  deployment_id: number;
  state: string;
  description: string;
  environment_url: string;
  log_url: string;
  created_at: string;
}

/** An issue comment as stored. */
export interface MockComment {
  id: number;
  issue_number: number;
  body: string;
  created_at: string;
  updated_at: string;
}

/** One request the mock answered. */
export interface MockRequest {
  method: string;
  path: string;
  operationId: string | null;
  status: number;
  body: unknown;
}

/** Options of the mock. */
export interface MockGitHubOptions {
  owner?: string;
  repo?: string;
  /** Validate against GitHub's OpenAPI description (loads 13 MB once per process). Default true. */
  validate?: boolean;
}

const API_PREFIX = '/api/v3';

function user(login: string, id: number): Record<string, unknown> {
  const url = `https://api.github.com/users/${login}`;
  return {
    login,
    id,
    node_id: `U_${id}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${id}`,
    gravatar_id: '',
    url,
    html_url: `https://github.com/${login}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: login.endsWith('[bot]') ? 'Bot' : 'User',
    site_admin: false,
  };
}

/** The mocked GitHub API. */
export class MockGitHub {
  readonly owner: string;
  readonly repo: string;
  readonly deployments: MockDeployment[] = [];
  readonly statuses: MockStatus[] = [];
  readonly comments: MockComment[] = [];
  readonly requests: MockRequest[] = [];
  /** Contract violations and unexpected requests; tests assert this stays empty. */
  readonly violations: string[] = [];
  /** Files of any repository for GET contents, keyed `owner/repo:path`. */
  readonly files = new Map<string, string>();
  /** Operation ids answered with HTTP 500, to test failures. */
  readonly failing = new Set<string>();
  private server: Server | null = null;
  private port = 0;
  private nextId = 5000;
  private clock = Date.parse('2026-03-01T10:00:00Z');
  private readonly contract: GitHubContract | null;

  constructor(opts: MockGitHubOptions = {}) {
    this.owner = opts.owner ?? 'acme';
    this.repo = opts.repo ?? 'shop';
    this.contract = opts.validate === false ? null : githubContract();
  }

  /** Base URL to pass as GITHUB_API_URL. */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}${API_PREFIX}`;
  }

  private tick(): string {
    this.clock += 60_000;
    return new Date(this.clock).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  /** Adds a deployment with statuses (oldest first). */
  addDeployment(d: { sha: string; environment: string; payload?: Record<string, unknown>; states?: string[]; ref?: string }): MockDeployment {
    const dep: MockDeployment = {
      id: ++this.nextId,
      sha: d.sha,
      ref: d.ref ?? d.sha,
      environment: d.environment,
      payload: d.payload ?? {},
      description: null,
      created_at: this.tick(),
    };
    this.deployments.push(dep);
    for (const state of d.states ?? []) this.addStatus(dep.id, { state, description: state });
    return dep;
  }

  private addStatus(deploymentId: number, s: { state: string; description?: string; environment_url?: string; log_url?: string }): MockStatus {
    const st: MockStatus = {
      id: ++this.nextId,
      deployment_id: deploymentId,
      state: s.state,
      description: s.description ?? '',
      environment_url: s.environment_url ?? '',
      log_url: s.log_url ?? '',
      created_at: this.tick(),
    };
    this.statuses.push(st);
    return st;
  }

  /** Adds an issue comment (e.g. someone else's, to fill pages). */
  addComment(issueNumber: number, body: string): MockComment {
    const now = this.tick();
    const c: MockComment = { id: ++this.nextId, issue_number: issueNumber, body, created_at: now, updated_at: now };
    this.comments.push(c);
    return c;
  }

  /** States of a deployment, oldest first. */
  statesOf(id: number): string[] {
    return this.statuses.filter((s) => s.deployment_id === id).map((s) => s.state);
  }

  /** Statuses of a deployment, oldest first. */
  statusesOf(id: number): MockStatus[] {
    return this.statuses.filter((s) => s.deployment_id === id);
  }

  private repoUrl(): string {
    return `https://api.github.com/repos/${this.owner}/${this.repo}`;
  }

  private deploymentJson(d: MockDeployment): Record<string, unknown> {
    const url = `${this.repoUrl()}/deployments/${d.id}`;
    return {
      url,
      id: d.id,
      node_id: `DE_${d.id}`,
      sha: d.sha,
      ref: d.ref,
      task: 'deploy',
      payload: d.payload,
      original_environment: d.environment,
      environment: d.environment,
      description: d.description,
      creator: user('stagegate[bot]', 9001),
      created_at: d.created_at,
      updated_at: d.created_at,
      statuses_url: `${url}/statuses`,
      repository_url: this.repoUrl(),
      transient_environment: false,
      production_environment: d.environment === 'production',
    };
  }

  private statusJson(s: MockStatus): Record<string, unknown> {
    const dep = `${this.repoUrl()}/deployments/${s.deployment_id}`;
    return {
      url: `${dep}/statuses/${s.id}`,
      id: s.id,
      node_id: `DES_${s.id}`,
      state: s.state,
      creator: user('github-actions[bot]', 41898282),
      description: s.description,
      environment: this.deployments.find((d) => d.id === s.deployment_id)?.environment ?? '',
      target_url: s.log_url,
      created_at: s.created_at,
      updated_at: s.created_at,
      deployment_url: dep,
      repository_url: this.repoUrl(),
      environment_url: s.environment_url,
      log_url: s.log_url,
    };
  }

  private commentJson(c: MockComment): Record<string, unknown> {
    return {
      id: c.id,
      node_id: `IC_${c.id}`,
      url: `${this.repoUrl()}/issues/comments/${c.id}`,
      html_url: `https://github.com/${this.owner}/${this.repo}/pull/${c.issue_number}#issuecomment-${c.id}`,
      body: c.body,
      user: user('github-actions[bot]', 41898282),
      created_at: c.created_at,
      updated_at: c.updated_at,
      issue_url: `${this.repoUrl()}/issues/${c.issue_number}`,
      author_association: 'NONE',
    };
  }

  /** Starts listening on a free loopback port. */
  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          this.handle(req, res, Buffer.concat(chunks).toString('utf8'));
        } catch (err) {
          this.violations.push(`mock error: ${(err as Error).stack ?? String(err)}`);
          this.send(res, 500, { message: 'mock error' });
        }
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Stops listening. */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-github-request-id': `MOCK:${this.requests.length}` });
    res.end(text);
  }

  private handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    if (!url.pathname.startsWith(API_PREFIX)) {
      this.violations.push(`${method} ${url.pathname}: not under ${API_PREFIX} (GITHUB_API_URL not honoured)`);
      return this.send(res, 404, { message: 'Not Found' });
    }
    const path = url.pathname.slice(API_PREFIX.length);
    const query: Record<string, string> = {};
    url.searchParams.forEach((v, k) => (query[k] = v));
    let body: unknown;
    if (raw) {
      try {
        body = JSON.parse(raw);
      } catch {
        this.violations.push(`${method} ${path}: body is not JSON`);
        return this.send(res, 400, { message: 'Problems parsing JSON' });
      }
    }
    if (!/^(Bearer|token) \S+/.test(String(req.headers.authorization ?? ''))) {
      this.violations.push(`${method} ${path}: no token in the Authorization header`);
    }
    let operationId: string | null = null;
    if (this.contract) {
      const verdict = this.contract.checkRequest({ method, path, query, headers: req.headers, body });
      operationId = verdict.operationId;
      if (verdict.status !== 200) {
        this.violations.push(...verdict.errors.map((e) => `${method} ${path}: ${e}`));
        this.requests.push({ method, path, operationId, status: verdict.status, body });
        return this.send(res, verdict.status, { message: verdict.errors.join('; ') });
      }
    }
    const answer = this.route(method, path, query, body);
    operationId ??= answer.op;
    if (this.contract && answer.op !== null && answer.op !== operationId) {
      this.violations.push(`${method} ${path}: routed as ${answer.op}, GitHub calls it ${operationId}`);
    }
    if (operationId && this.failing.has(operationId)) {
      this.requests.push({ method, path, operationId, status: 500, body });
      return this.send(res, 500, { message: 'Server Error (injected by the test)' });
    }
    if (this.contract && operationId && answer.status < 400) {
      this.violations.push(...this.contract.checkResponse(operationId, answer.status, answer.body));
    }
    this.requests.push({ method, path, operationId, status: answer.status, body });
    this.send(res, answer.status, answer.body);
  }

  private route(method: string, path: string, query: Record<string, string>, body: unknown): { op: string | null; status: number; body: unknown } {
    const contents = /^\/repos\/([^/]+)\/([^/]+)\/contents\/(.+)$/.exec(path);
    if (contents && method === 'GET') {
      const [, owner, repo, filePath] = contents;
      const name = decodeURIComponent(filePath!);
      const text = this.files.get(`${owner}/${repo}:${name}`);
      if (text === undefined) return { op: 'repos/get-content', status: 404, body: { message: 'Not Found' } };
      const url = `https://api.github.com/repos/${owner}/${repo}/contents/${name}`;
      const html = `https://github.com/${owner}/${repo}/blob/main/${name}`;
      const git = `https://api.github.com/repos/${owner}/${repo}/git/blobs/0123456789abcdef0123456789abcdef01234567`;
      return {
        op: 'repos/get-content',
        status: 200,
        body: {
          type: 'file',
          encoding: 'base64',
          size: Buffer.byteLength(text),
          name: name.split('/').pop(),
          path: name,
          content: Buffer.from(text).toString('base64'),
          sha: '0123456789abcdef0123456789abcdef01234567',
          url,
          git_url: git,
          html_url: html,
          download_url: `https://raw.githubusercontent.com/${owner}/${repo}/main/${name}`,
          _links: { git, html, self: url },
        },
      };
    }
    const repoPrefix = `/repos/${this.owner}/${this.repo}`;
    if (!path.startsWith(`${repoPrefix}/`)) {
      this.violations.push(`${method} ${path}: not this repository`);
      return { op: null, status: 404, body: { message: 'Not Found' } };
    }
    const p = path.slice(repoPrefix.length);
    const b = (body ?? {}) as Record<string, unknown>;
    let m: RegExpExecArray | null;
    if (method === 'GET' && p === '/deployments') {
      const perPage = Math.min(100, Number(query.per_page ?? 30));
      const page = Math.max(1, Number(query.page ?? 1));
      const list = this.deployments
        .filter((d) => (query.environment === undefined || d.environment === query.environment) && (query.sha === undefined || d.sha === query.sha))
        .sort((a, c) => c.created_at.localeCompare(a.created_at) || c.id - a.id)
        .slice((page - 1) * perPage, page * perPage);
      return { op: 'repos/list-deployments', status: 200, body: list.map((d) => this.deploymentJson(d)) };
    }
    if (method === 'POST' && p === '/deployments') {
      if (b.required_contexts === undefined) this.violations.push('POST /deployments without required_contexts: GitHub would check commit statuses of an old commit');
      const d = this.addDeployment({
        sha: String(b.ref),
        environment: String(b.environment ?? 'production'),
        payload: (typeof b.payload === 'string' ? JSON.parse(b.payload) : (b.payload ?? {})) as Record<string, unknown>,
      });
      d.description = typeof b.description === 'string' ? b.description : null;
      return { op: 'repos/create-deployment', status: 201, body: this.deploymentJson(d) };
    }
    if ((m = /^\/deployments\/(\d+)$/.exec(p)) && method === 'GET') {
      const d = this.deployments.find((x) => x.id === Number(m![1]));
      return d ? { op: 'repos/get-deployment', status: 200, body: this.deploymentJson(d) } : { op: 'repos/get-deployment', status: 404, body: { message: 'Not Found' } };
    }
    if ((m = /^\/deployments\/(\d+)\/statuses$/.exec(p))) {
      const id = Number(m[1]);
      const d = this.deployments.find((x) => x.id === id);
      const op = method === 'GET' ? 'repos/list-deployment-statuses' : 'repos/create-deployment-status';
      if (!d) return { op, status: 404, body: { message: 'Not Found' } };
      if (method === 'GET') {
        const perPage = Math.min(100, Number(query.per_page ?? 30));
        const page = Math.max(1, Number(query.page ?? 1));
        const list = this.statusesOf(id)
          .reverse()
          .slice((page - 1) * perPage, page * perPage);
        return { op, status: 200, body: list.map((s) => this.statusJson(s)) };
      }
      const description = typeof b.description === 'string' ? b.description : '';
      if (description.length > 140) {
        this.violations.push(`POST ${path}: description longer than 140 characters (${description.length})`);
        return { op, status: 422, body: { message: 'Validation Failed', errors: [{ field: 'description', code: 'too_long' }] } };
      }
      const s = this.addStatus(id, {
        state: String(b.state),
        description,
        ...(typeof b.environment_url === 'string' ? { environment_url: b.environment_url } : {}),
        ...(typeof b.log_url === 'string' ? { log_url: b.log_url } : {}),
      });
      return { op, status: 201, body: this.statusJson(s) };
    }
    if ((m = /^\/issues\/(\d+)\/comments$/.exec(p))) {
      const issue = Number(m[1]);
      if (method === 'GET') {
        const perPage = Math.min(100, Number(query.per_page ?? 30));
        const page = Math.max(1, Number(query.page ?? 1));
        const list = this.comments.filter((c) => c.issue_number === issue).slice((page - 1) * perPage, page * perPage);
        return { op: 'issues/list-comments', status: 200, body: list.map((c) => this.commentJson(c)) };
      }
      const body = String(b.body ?? '');
      if (body.length > 65536) {
        this.violations.push(`POST ${path}: comment body longer than 65536 characters (${body.length})`);
        return { op: 'issues/create-comment', status: 422, body: { message: 'Validation Failed' } };
      }
      const now = this.tick();
      const c: MockComment = { id: ++this.nextId, issue_number: issue, body, created_at: now, updated_at: now };
      this.comments.push(c);
      return { op: 'issues/create-comment', status: 201, body: this.commentJson(c) };
    }
    if ((m = /^\/issues\/comments\/(\d+)$/.exec(p)) && method === 'PATCH') {
      const c = this.comments.find((x) => x.id === Number(m![1]));
      if (!c) return { op: 'issues/update-comment', status: 404, body: { message: 'Not Found' } };
      const text = String(b.body ?? '');
      if (text.length > 65536) {
        this.violations.push(`PATCH ${path}: comment body longer than 65536 characters (${text.length})`);
        return { op: 'issues/update-comment', status: 422, body: { message: 'Validation Failed' } };
      }
      c.body = text;
      c.updated_at = this.tick();
      return { op: 'issues/update-comment', status: 200, body: this.commentJson(c) };
    }
    this.violations.push(`${method} ${path}: the mock has no route for it (the action should not need it)`);
    return { op: null, status: 404, body: { message: 'Not Found' } };
  }
}
