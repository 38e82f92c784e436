/** What a route handler is: one REST operation of GitHub's, keyed by its operationId, answering from the world. */
import type { IncomingHttpHeaders } from 'node:http';
import type { GitHubSandbox } from '../github-sandbox.js';
import type { Actor } from '../state.js';

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

/** Answers one request; throws {@link HttpError} for GitHub's error answers. */
export type Handler = (sb: GitHubSandbox, ctx: RouteContext) => Promise<RouteResult>;

/** The handlers of one REST API category (`routes/<x-github.category>.ts`), keyed by operationId. */
export type RouteTable = Record<string, Handler>;
