/** The one method of an Octokit client that Stagegate's GitHub adapters use. */
export interface GitHubRequester {
  request(route: string, params?: Record<string, unknown>): Promise<{ status: number; data: unknown; headers: Record<string, unknown> }>;
}

/** An error response from GitHub, or a network failure on the way to it. */
export interface GitHubErrorLike {
  status?: number;
  message: string;
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

function hasNextPage(headers: Record<string, unknown>): boolean {
  const link = headers.link;
  return typeof link === 'string' && /rel="next"/.test(link);
}

/**
 * Reads every page of a list endpoint (`per_page=100`, following `Link: rel="next"`), up to
 * `maxPages`. Returns the items and whether the listing ended by itself (complete) or was cut.
 */
export async function paginate<T>(
  client: GitHubRequester,
  route: string,
  params: Record<string, unknown>,
  opts: { maxPages?: number; pick?: (data: unknown) => T[] } = {},
): Promise<{ items: T[]; complete: boolean }> {
  const maxPages = opts.maxPages ?? 100;
  const pick = opts.pick ?? ((d: unknown) => d as T[]);
  const items: T[] = [];
  for (let page = 1; page <= maxPages; page++) {
    const res = await client.request(route, { ...params, per_page: 100, page });
    const batch = pick(res.data);
    items.push(...batch);
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
