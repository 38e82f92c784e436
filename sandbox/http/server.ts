/**
 * The HTTP side: a server on 127.0.0.1 that takes each request through one pipeline — parse, match a GitHub path
 * template, check it against GitHub's OpenAPI description (`request` violations), authenticate, run the
 * operation's route handler, check the JSON answer against the response schema (`response` violations).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { githubContract } from '../github-openapi.js';
import type { GitHubSandbox } from '../github-sandbox.js';
import { dispatchRoute, HttpError, matchRoute, type RouteResult } from '../routes/index.js';
import { authenticate } from './auth.js';

/** The sandbox's HTTP server; `inflight` counts requests being answered. */
export class ApiServer {
  inflight = 0;
  private server: Server | null = null;

  constructor(private readonly sb: GitHubSandbox) {}

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
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const raw = Buffer.concat(chunks).toString('utf8');
      const result = await serve(this.sb, req, raw);
      const headers: Record<string, string> = {
        'x-github-media-type': 'github.v3; format=json',
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': '4999',
        'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
        'x-github-request-id': randomBytes(8).toString('hex'),
        ...result.headers,
      };
      if (result.raw !== undefined) {
        res.writeHead(result.status, { 'content-type': result.contentType ?? 'application/octet-stream', ...headers });
        res.end(result.raw);
      } else if (result.body === undefined) {
        res.writeHead(result.status, headers);
        res.end();
      } else {
        res.writeHead(result.status, { 'content-type': 'application/json; charset=utf-8', ...headers });
        res.end(JSON.stringify(result.body));
      }
    } catch (err) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: err instanceof Error ? err.message : String(err) }));
    } finally {
      this.inflight--;
      this.sb.events.emit('change');
    }
  }
}

async function serve(sb: GitHubSandbox, req: IncomingMessage, raw: string): Promise<RouteResult> {
  const url = new URL(req.url ?? '/', sb.bases.web);
  const method = (req.method ?? 'GET').toUpperCase();
  let path = url.pathname;
  const prefix = path.startsWith('/api/v3/') || path === '/api/v3' ? '/api/v3' : '';
  if (prefix) path = path.slice(prefix.length) || '/';
  const notFound = { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' };
  if (path === '/api/graphql' || path === '/graphql') {
    sb.violations.push({ kind: 'request', method, path, operationId: null, status: 404, errors: ['GraphQL is not served by the sandbox'] });
    return { status: 404, body: notFound };
  }
  let body: unknown = undefined;
  if (raw.length) {
    try {
      body = JSON.parse(raw);
    } catch {
      sb.violations.push({ kind: 'request', method, path, operationId: null, status: 400, errors: ['body is not JSON'] });
      return { status: 400, body: { message: 'Problems parsing JSON', documentation_url: 'https://docs.github.com/rest' } };
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
    return { status: 404, body: notFound };
  }
  if (verdict.status === 422) {
    sb.violations.push({ kind: 'request', method, path, operationId: verdict.operationId, status: 422, errors: verdict.errors });
    // GitHub answers `validation-error` (error objects) or, for some operations, `validation-error-simple` (strings).
    const asObjects = {
      message: 'Validation Failed',
      errors: verdict.errors.map((e) => ({ resource: verdict.operationId, code: 'invalid', message: e })),
      documentation_url: 'https://docs.github.com/rest',
    };
    const simple = githubContract().checkResponse(verdict.operationId, 422, asObjects).length > 0;
    return checked(sb, verdict.operationId, { status: 422, body: simple ? { ...asObjects, errors: verdict.errors } : asObjects });
  }
  const actor = authenticate(sb, req.headers.authorization);
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
  return checked(sb, verdict.operationId, result);
}

function checked(sb: GitHubSandbox, operationId: string, result: RouteResult): RouteResult {
  if (result.raw === undefined && result.body !== undefined) {
    const errors = githubContract().checkResponse(operationId, result.status, result.body);
    if (errors.length) sb.violations.push({ kind: 'response', operationId, status: result.status, errors: errors.slice(0, 30) });
  }
  return result;
}
