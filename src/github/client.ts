import type { Endpoints } from '@octokit/types';

/** A GitHub REST route as Octokit names it, e.g. `GET /repos/{owner}/{repo}/pulls/{pull_number}`. */
export type Route = keyof Endpoints;

/**
 * Parameters of a route (path, query and body), plus request headers such as `if-none-match`, and
 * Octokit's request options: `retries: 0` turns its retry plugin off for a write that must not be
 * repeated blindly (a dispatch GitHub may have run before answering 502).
 */
export type RouteParams<R extends Route> = Endpoints[R]['parameters'] & { headers?: Record<string, string>; request?: { retries?: number } };

/** The response of a route: `status`, `headers` and the documented `data`. */
export type RouteResponse<R extends Route> = Endpoints[R]['response'];

/** The documented `data` of a route's success response. */
export type RouteData<R extends Route> = RouteResponse<R>['data'];

/** Response headers as Octokit reports them (`etag`, `link`, `x-ratelimit-remaining`, …). */
export type ResponseHeaders = RouteResponse<'GET /rate_limit'>['headers'];

/**
 * The one method of an Octokit client that Stagegate's GitHub adapters use, typed from
 * `@octokit/types` (a type-only import: `src/` loads no Octokit at run time). An error status
 * rejects, as Octokit does (a `304 Not Modified` too).
 */
export interface GitHubRequester {
  request<R extends Route>(route: R, params?: RouteParams<R>): Promise<RouteResponse<R>>;
}

/** The HTTP status of an Octokit request error, if it has one. */
export function statusOf(err: unknown): number | undefined {
  const s = (err as { status?: unknown } | null)?.status;
  return typeof s === 'number' ? s : undefined;
}

/** True when GitHub answered 404. */
export function isNotFound(err: unknown): boolean {
  return statusOf(err) === 404;
}

/** True when a `Link` header names a next page. */
export function hasNextPage(headers: { link?: string | number | undefined }): boolean {
  const link = headers.link;
  return typeof link === 'string' && /rel="next"/.test(link);
}

/** A route whose parameters take `page` and `per_page`. */
export type PagedRoute = { [R in Route]: Endpoints[R]['parameters'] extends { page?: number; per_page?: number } ? R : never }[Route];

/**
 * Reads every page of a list endpoint (`per_page=100`, following `Link: rel="next"`), up to
 * `maxPages`. Returns the items and whether the listing ended by itself (complete) or was cut.
 */
export async function paginate<R extends PagedRoute, T>(
  client: GitHubRequester,
  route: R,
  params: Omit<RouteParams<R>, 'page' | 'per_page'>,
  pick: (data: RouteData<R>) => T[],
  opts: { maxPages?: number } = {},
): Promise<{ items: T[]; complete: boolean }> {
  const maxPages = opts.maxPages ?? 100;
  const items: T[] = [];
  for (let page = 1; page <= maxPages; page++) {
    const res = await client.request(route, { ...params, per_page: 100, page });
    items.push(...pick(res.data));
    if (!hasNextPage(res.headers)) return { items, complete: true };
  }
  return { items, complete: false };
}

/** Memoises an async function of a string key: one request sequence per fact. */
export function memo<T>(fn: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const cache = new Map<string, Promise<T>>();
  return (key: string) => {
    let p = cache.get(key);
    if (!p) {
      p = fn(key);
      cache.set(key, p);
    }
    return p;
  };
}
