/**
 * The HTTP side: a server on 127.0.0.1 that takes each request through one pipeline — parse, match a GitHub path
 * template, check it against GitHub's OpenAPI description (`request` violations), authenticate, run the
 * operation's route handler, check the JSON answer against the response schema (`response` violations) — and then,
 * as GitHub does, tags a GET's JSON answer with an ETag (answering `304 Not Modified` to a matching
 * `If-None-Match`, which costs no rate limit), sends the caller's `x-ratelimit-*` headers, and records the request
 * in the ledger (`http/ledger.ts`).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { githubContract } from '../github-openapi.js';
import type { GitHubSandbox } from '../github-sandbox.js';
import { dispatchRoute, HttpError, matchRoute, type RouteResult } from '../routes/index.js';
import { authenticate } from './auth.js';
import { oauthWeb } from './oauth-web.js';
import { etagOf, matchesIfNoneMatch, RateLimits, RequestLedger } from './ledger.js';
import type { Actor } from '../state.js';

/** The sandbox's HTTP server; `inflight` counts requests being answered. */
export class ApiServer {
  inflight = 0;
  /** Every request answered, in order. */
  readonly ledger = new RequestLedger();
  /** Hourly rate limits per caller. */
  readonly rateLimits: RateLimits;
  private server: Server | null = null;

  constructor(
    private readonly sb: GitHubSandbox,
    opts: { rateLimit?: number } = {},
  ) {
    this.rateLimits = new RateLimits(opts.rateLimit ?? 5000);
  }

  /** Listens on 127.0.0.1 on a free port; resolves with the port. */
  async listen(): Promise<number> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 1000;
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inflight++;
    const method = (req.method ?? 'GET').toUpperCase();
    const conditional = req.headers['if-none-match'] !== undefined;
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const raw = Buffer.concat(chunks).toString('utf8');
      const web = oauthWeb(this.sb, req, raw);
      if (web) {
        this.ledger.record({ method, route: new URL(req.url ?? '/', 'http://x').pathname, operationId: null, status: web.status, conditional, actor: 'web', counted: false });
        res.writeHead(web.status, web.headers);
        res.end(web.body);
        return;
      }
      const served = await serve(this.sb, req, raw, (actor) => (this.rateLimits.exhausted(actorKey(actor)) ? rateLimited(actor) : null));
      const { result, route, operationId } = served;
      const actor = actorKey(served.actor);
      const json = result.raw === undefined && result.body !== undefined ? JSON.stringify(result.body) : null;
      const etag = method === 'GET' && result.status === 200 && json !== null ? etagOf(json) : null;
      const notModified = etag !== null && matchesIfNoneMatch(req.headers['if-none-match'], etag);
      const status = notModified ? 304 : result.status;
      const headers: Record<string, string> = {
        'x-github-media-type': 'github.v3; format=json',
        ...this.rateLimits.charge(actor, status !== 304),
        'x-github-request-id': randomBytes(8).toString('hex'),
        ...(etag ? { etag, vary: 'Accept, Authorization, Cookie, X-GitHub-OTP' } : {}),
        ...result.headers,
      };
      this.ledger.record({ method, route, operationId, status, conditional, actor, counted: status !== 304 });
      if (notModified) {
        res.writeHead(304, headers);
        res.end();
      } else if (result.raw !== undefined) {
        res.writeHead(result.status, { 'content-type': result.contentType ?? 'application/octet-stream', ...headers });
        res.end(result.raw);
      } else if (json === null) {
        res.writeHead(result.status, headers);
        res.end();
      } else {
        res.writeHead(result.status, { 'content-type': 'application/json; charset=utf-8', ...headers });
        res.end(json);
      }
    } catch (err) {
      this.ledger.record({ method, route: new URL(req.url ?? '/', 'http://x').pathname, operationId: null, status: 500, conditional, actor: 'unknown', counted: true });
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: err instanceof Error ? err.message : String(err) }));
    } finally {
      this.inflight--;
      this.sb.events.emit('change');
    }
  }
}

/** The rate-limit key of a caller: GitHub limits each installation, user and app separately. */
export function actorKey(actor: Actor | { kind: 'invalid'; message: string } | null): string {
  if (!actor) return 'anonymous';
  switch (actor.kind) {
    case 'installation':
      return `installation:${actor.installationId}`;
    case 'user':
      return `user:${actor.account.login}`;
    case 'app':
      return `app:${actor.app.id}`;
    default:
      return actor.kind;
  }
}

function rateLimited(actor: Actor | { kind: 'invalid'; message: string }): RouteResult {
  const who = actor.kind === 'installation' ? `installation ID ${actor.installationId}` : actorKey(actor);
  return { status: 403, body: { message: `API rate limit exceeded for ${who}.`, documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api' } };
}

/** What serving one request produced, with what the ledger records of it. */
interface Served {
  result: RouteResult;
  route: string;
  operationId: string | null;
  actor: Actor | { kind: 'invalid'; message: string } | null;
}

async function serve(sb: GitHubSandbox, req: IncomingMessage, raw: string, limit: (actor: Actor | { kind: 'invalid'; message: string }) => RouteResult | null): Promise<Served> {
  const url = new URL(req.url ?? '/', sb.bases.web);
  const method = (req.method ?? 'GET').toUpperCase();
  let path = url.pathname;
  const prefix = path.startsWith('/api/v3/') || path === '/api/v3' ? '/api/v3' : '';
  if (prefix) path = path.slice(prefix.length) || '/';
  const notFound = { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' };
  const bare = (result: RouteResult): Served => ({ result, route: path, operationId: null, actor: null });
  if (path === '/api/graphql' || path === '/graphql') {
    sb.violations.push({ kind: 'request', method, path, operationId: null, status: 404, errors: ['GraphQL is not served by the sandbox'] });
    return bare({ status: 404, body: notFound });
  }
  let body: unknown = undefined;
  if (raw.length) {
    try {
      body = JSON.parse(raw);
    } catch {
      sb.violations.push({ kind: 'request', method, path, operationId: null, status: 400, errors: ['body is not JSON'] });
      return bare({ status: 400, body: { message: 'Problems parsing JSON', documentation_url: 'https://docs.github.com/rest' } });
    }
  }
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  const match = matchRoute(method, path);
  const headers: Record<string, string | string[] | undefined> = { ...req.headers };
  const verdict = match
    ? githubContract().checkRequest({ method, path: match.canonicalPath, query, headers, body })
    : { operationId: null, status: 404 as const, errors: [`no GitHub operation for ${method} ${path}`] };
  if (verdict.status === 404 || !match || !verdict.operationId) {
    sb.violations.push({ kind: 'request', method, path, operationId: verdict.operationId, status: 404, errors: verdict.errors });
    return bare({ status: 404, body: notFound });
  }
  const operationId = verdict.operationId;
  const actor = authenticate(sb, req.headers.authorization);
  const served = (result: RouteResult): Served => ({ result: checked(sb, operationId, result), route: match.template, operationId, actor });
  if (verdict.status === 422) {
    sb.violations.push({ kind: 'request', method, path, operationId: verdict.operationId, status: 422, errors: verdict.errors });
    // GitHub answers `validation-error` (error objects) or, for some operations, `validation-error-simple` (strings).
    const asObjects = {
      message: 'Validation Failed',
      errors: verdict.errors.map((e) => ({ resource: verdict.operationId, code: 'invalid', message: e })),
      documentation_url: 'https://docs.github.com/rest',
    };
    const simple = githubContract().checkResponse(verdict.operationId, 422, asObjects).length > 0;
    return served({ status: 422, body: simple ? { ...asObjects, errors: verdict.errors } : asObjects });
  }
  const limited = limit(actor);
  if (limited) return served(limited);
  const early = sb.faults.take(operationId, 'before');
  if (early) return { result: early, route: match.template, operationId, actor };
  let result: RouteResult;
  try {
    result = await dispatchRoute(sb, {
      operationId: verdict.operationId,
      params: match.params,
      query,
      body: (body ?? {}) as Record<string, unknown>,
      actor,
      headers: req.headers,
      method,
      url: new URL(`${prefix}${url.pathname.slice(prefix.length)}${url.search}`, sb.bases.web),
    });
  } catch (err) {
    if (err instanceof HttpError) result = { status: err.status, body: { message: err.message, ...err.extra, documentation_url: 'https://docs.github.com/rest' } };
    else throw err;
  }
  if (result.status === 501) sb.violations.push({ kind: 'unimplemented', method, path, operationId: verdict.operationId, status: 501, errors: [`the sandbox does not serve ${verdict.operationId}`] });
  const late = sb.faults.take(operationId, 'after');
  if (late) return { result: late, route: match.template, operationId, actor };
  return served(result);
}

function checked(sb: GitHubSandbox, operationId: string, result: RouteResult): RouteResult {
  if (result.raw === undefined && result.body !== undefined) {
    const errors = githubContract().checkResponse(operationId, result.status, result.body);
    if (errors.length) sb.violations.push({ kind: 'response', operationId, status: result.status, errors: errors.slice(0, 30) });
  }
  return result;
}
