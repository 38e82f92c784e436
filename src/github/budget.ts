import type { GitHubRequester, ResponseHeaders, Route, RouteParams, RouteResponse } from './client.js';

/** Requests one evaluation may make by default: room for a 10,000-commit range (100 compare pages) and every other fact. */
export const DEFAULT_MAX_REQUESTS = 150;
/** Requests of the installation's rate limit an evaluation leaves to everything else (webhooks of other PRs, deploys). */
export const DEFAULT_RATE_RESERVE = 100;

/** Thrown when an evaluation would make more requests than its budget or the rate limit allows. */
export class BudgetExceeded extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BudgetExceeded';
  }
}

/**
 * The requests one evaluation may make: at most `maxRequests`, and never so many that fewer than
 * `reserve` requests of the installation's rate limit (`x-ratelimit-remaining`, as GitHub last
 * reported it) would be left. Conditional requests count here too; GitHub does not count a `304`
 * against the rate limit, and neither does the reserve (it follows the header).
 */
export class RequestBudget {
  readonly maxRequests: number;
  readonly reserve: number;
  /** Requests made so far. */
  used = 0;
  /** Requests answered `304 Not Modified`. */
  notModified = 0;
  /** `x-ratelimit-remaining` as GitHub last reported it (null before the first answer). */
  rateRemaining: number | null = null;

  constructor(opts: { maxRequests?: number; reserve?: number } = {}) {
    this.maxRequests = opts.maxRequests ?? DEFAULT_MAX_REQUESTS;
    this.reserve = opts.reserve ?? DEFAULT_RATE_RESERVE;
  }

  /** How many more requests this evaluation may make now. */
  get left(): number {
    const own = this.maxRequests - this.used;
    const rate = this.rateRemaining === null ? Number.POSITIVE_INFINITY : this.rateRemaining - this.reserve;
    return Math.max(0, Math.min(own, rate));
  }

  /** Why `n` more requests cannot be made, or null when they can. */
  shortfall(n: number): string | null {
    if (n <= this.left) return null;
    if (this.rateRemaining !== null && this.rateRemaining - this.reserve < this.maxRequests - this.used) {
      return `GitHub's rate limit has ${this.rateRemaining} requests left and ${this.reserve} are kept for other work`;
    }
    return `one evaluation makes at most ${this.maxRequests} requests and ${this.used} are used`;
  }

  /** Counts one request, or throws {@link BudgetExceeded} when none is left. */
  take(route: string): void {
    const why = this.shortfall(1);
    if (why) throw new BudgetExceeded(`request budget exhausted before ${route}: ${why}`);
    this.used++;
  }

  /** Reads `x-ratelimit-remaining` from a response. */
  observe(headers: ResponseHeaders | undefined, status?: number): void {
    if (status === 304) this.notModified++;
    const raw = headers?.['x-ratelimit-remaining'];
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
    if (Number.isFinite(n)) this.rateRemaining = n;
  }
}

/** A client that counts every request against `budget` and refuses requests past it. */
export function budgeted(client: GitHubRequester, budget: RequestBudget): GitHubRequester {
  return {
    async request<R extends Route>(route: R, params?: RouteParams<R>): Promise<RouteResponse<R>> {
      budget.take(route);
      try {
        const res = await client.request(route, params);
        budget.observe(res.headers, res.status);
        return res;
      } catch (err) {
        const e = err as { status?: unknown; response?: { headers?: ResponseHeaders } };
        budget.observe(e.response?.headers, typeof e.status === 'number' ? e.status : undefined);
        throw err;
      }
    },
  };
}
