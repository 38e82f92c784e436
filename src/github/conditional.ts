import { hasNextPage, statusOf, type GitHubRequester, type PagedRoute, type Route, type RouteData, type RouteParams } from './client.js';
import type { FactCache, HttpEntry } from './fact-cache.js';

/** One response read through the cache. */
export interface Fetched<T> {
  data: T;
  link: string | undefined;
  /** GitHub answered `304 Not Modified`: the kept copy is current. */
  notModified: boolean;
  /** Served from the cache without asking GitHub (inside the reuse window). */
  reused: boolean;
}

/** A stable key for a request: its route and parameters, sorted. */
export function requestKey(route: string, params: object): string {
  const entries = Object.entries(params)
    .filter(([k, v]) => k !== 'headers' && v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `h:${route}?${entries.map(([k, v]) => `${k}=${typeof v === 'string' ? v.toLowerCase() : JSON.stringify(v)}`).join('&')}`;
}

/**
 * A GET with `If-None-Match` when a copy with an ETag is kept. `304 Not Modified` means exactly
 * "the kept copy is still current": its data is returned, and nothing else is concluded from it (a
 * 304 without a kept copy is an error, never an empty or successful answer). Within `reuseMs` of
 * the copy's last validation, the copy is returned without a request.
 */
export async function conditionalGet<R extends Route>(
  client: GitHubRequester,
  cache: FactCache,
  route: R,
  params: RouteParams<R>,
  opts: { reuseMs?: number; key?: string } = {},
): Promise<Fetched<RouteData<R>>> {
  if (!route.startsWith('GET ')) throw new Error(`conditional requests are for reads only, not ${route}`);
  const key = opts.key ?? requestKey(route, params);
  const kept = await cache.http(key);
  const now = cache.now();
  if (kept && opts.reuseMs && opts.reuseMs > 0 && now - kept.validatedAt < opts.reuseMs) {
    return { data: kept.data as RouteData<R>, link: kept.link, notModified: false, reused: true };
  }
  const unchanged = async (entry: HttpEntry | undefined): Promise<Fetched<RouteData<R>>> => {
    if (!entry) throw new Error(`GitHub answered 304 Not Modified to ${route} although no copy was kept to compare with`);
    await cache.putHttp(key, { ...entry, validatedAt: now });
    return { data: entry.data as RouteData<R>, link: entry.link, notModified: true, reused: false };
  };
  // Only a copy whose ETag was sent can be confirmed by a 304.
  const sent = kept?.etag ? kept : undefined;
  const headers = { ...(params.headers ?? {}), ...(sent ? { 'if-none-match': sent.etag } : {}) };
  let res;
  try {
    res = await client.request(route, { ...params, headers } as RouteParams<R>);
  } catch (err) {
    if (statusOf(err) === 304) return unchanged(sent);
    throw err;
  }
  if ((res.status as number) === 304) return unchanged(sent);
  const etag = res.headers.etag;
  const link = typeof res.headers.link === 'string' ? res.headers.link : undefined;
  // Without an ETag the copy can still be reused inside the window, but never confirmed by a 304.
  await cache.putHttp(key, { etag: typeof etag === 'string' ? etag : '', data: res.data, ...(link ? { link } : {}), validatedAt: now });
  return { data: res.data, link, notModified: false, reused: false };
}

/**
 * Every page of a listing, each page read conditionally. A page confirmed unchanged that is full
 * (100 items) is followed by a read of the next page, since a listing that grew by a page leaves
 * the old last page's content, and so its ETag, unchanged.
 */
export async function conditionalPages<R extends PagedRoute, T>(
  client: GitHubRequester,
  cache: FactCache,
  route: R,
  params: Omit<RouteParams<R>, 'page' | 'per_page'>,
  pick: (data: RouteData<R>) => T[],
  opts: { reuseMs?: number; maxPages?: number; keyPrefix?: string } = {},
): Promise<{ items: T[]; complete: boolean; requests: number }> {
  const maxPages = opts.maxPages ?? 100;
  const items: T[] = [];
  let requests = 0;
  for (let page = 1; page <= maxPages; page++) {
    const pageParams = { ...params, per_page: 100, page } as RouteParams<R>;
    const key = opts.keyPrefix ? `${opts.keyPrefix}${requestKey(route, pageParams)}` : undefined;
    const got = await conditionalGet(client, cache, route, pageParams, { ...(opts.reuseMs ? { reuseMs: opts.reuseMs } : {}), ...(key ? { key } : {}) });
    if (!got.reused) requests++;
    const batch = pick(got.data);
    items.push(...batch);
    const more = hasNextPage({ link: got.link }) || ((got.notModified || got.reused) && batch.length >= 100);
    if (!more || (batch.length === 0 && page > 1)) return { items, complete: true, requests };
  }
  return { items, complete: false, requests };
}
