/**
 * The request ledger and the rate limit: every API request the sandbox answers is recorded (method, GitHub's
 * route template, status, conditional or not, who made it), and counted against its caller's hourly rate limit
 * as GitHub counts it — a `304 Not Modified` answer to a conditional request is free.
 */
import { createHash } from 'node:crypto';

/** One request the sandbox answered. */
export interface LedgerEntry {
  /** Position in the ledger (1, 2, …). */
  seq: number;
  method: string;
  /** GitHub's path template, e.g. `/repos/{owner}/{repo}/pulls/{pull_number}` (the raw path when none matched). */
  route: string;
  operationId: string | null;
  status: number;
  /** The request carried `If-None-Match`. */
  conditional: boolean;
  /** Who made it: `app`, `installation:<id>`, `user:<login>`, `anonymous` or `invalid`. */
  actor: string;
  /** Counted against the caller's rate limit (every answer but a `304`). */
  counted: boolean;
  /** When it was answered (ms since the epoch). */
  at: number;
}

/** Totals over ledger entries. */
export interface LedgerSummary {
  requests: number;
  /** POST, PATCH, PUT and DELETE requests. */
  writes: number;
  /** Requests that carried `If-None-Match`. */
  conditional: number;
  /** Conditional requests answered `304 Not Modified` (free). */
  notModified: number;
  /** Requests counted against the rate limit. */
  counted: number;
  /** Requests per `METHOD route`, most first. */
  byRoute: Array<{ route: string; requests: number; notModified: number }>;
}

/** Sums up ledger entries. */
export function summarize(entries: readonly LedgerEntry[]): LedgerSummary {
  const by = new Map<string, { requests: number; notModified: number }>();
  for (const e of entries) {
    const k = `${e.method} ${e.route}`;
    const s = by.get(k) ?? { requests: 0, notModified: 0 };
    s.requests++;
    if (e.status === 304) s.notModified++;
    by.set(k, s);
  }
  return {
    requests: entries.length,
    writes: entries.filter((e) => e.method !== 'GET' && e.method !== 'HEAD').length,
    conditional: entries.filter((e) => e.conditional).length,
    notModified: entries.filter((e) => e.status === 304).length,
    counted: entries.filter((e) => e.counted).length,
    byRoute: [...by.entries()].map(([route, s]) => ({ route, ...s })).sort((a, b) => b.requests - a.requests || (a.route < b.route ? -1 : 1)),
  };
}

/** The ledger of every request the sandbox answered; `mark()` and `since()` cut it into steps. */
export class RequestLedger {
  readonly entries: LedgerEntry[] = [];

  record(e: Omit<LedgerEntry, 'seq' | 'at'>): LedgerEntry {
    const entry: LedgerEntry = { ...e, seq: this.entries.length + 1, at: Date.now() };
    this.entries.push(entry);
    return entry;
  }

  /** A position to read from later with {@link since}. */
  mark(): number {
    return this.entries.length;
  }

  /** The entries recorded after `mark`, optionally only those of one actor (e.g. `installation:…`). */
  since(mark: number, filter: (e: LedgerEntry) => boolean = () => true): LedgerEntry[] {
    return this.entries.slice(mark).filter(filter);
  }
}

/** An actor's rate limit window. */
interface Window {
  limit: number;
  used: number;
  resetAt: number;
}

/** Hourly rate limits per caller, as GitHub keeps them (5,000 for an installation or a user by default). */
export class RateLimits {
  private readonly windows = new Map<string, Window>();

  constructor(private readonly limit: number) {}

  /** The caller's window, started on its first request and reset an hour later. */
  window(actor: string, now = Date.now()): Window {
    let w = this.windows.get(actor);
    if (!w || w.resetAt <= now) {
      w = { limit: this.limit, used: 0, resetAt: now + 3600_000 };
      this.windows.set(actor, w);
    }
    return w;
  }

  /** Sets how many requests a caller has left this hour (tests of rate-limit handling). */
  setRemaining(actor: string, remaining: number): void {
    const w = this.window(actor);
    w.used = Math.max(0, w.limit - remaining);
  }

  /** The `x-ratelimit-*` headers after answering a request (`count`: whether it counted). */
  charge(actor: string, count: boolean): Record<string, string> {
    const w = this.window(actor);
    if (count) w.used++;
    return {
      'x-ratelimit-limit': String(w.limit),
      'x-ratelimit-remaining': String(Math.max(0, w.limit - w.used)),
      'x-ratelimit-used': String(w.used),
      'x-ratelimit-reset': String(Math.floor(w.resetAt / 1000)),
      'x-ratelimit-resource': 'core',
    };
  }

  /** Whether the caller has no request left this hour. */
  exhausted(actor: string): boolean {
    const w = this.window(actor);
    return w.used >= w.limit;
  }
}

/** The ETag of a JSON body, as GitHub sends it (weak, a digest of the body). */
export function etagOf(json: string): string {
  return `W/"${createHash('sha256').update(json).digest('hex').slice(0, 40)}"`;
}

/** Whether an `If-None-Match` header matches an ETag (a list of tags or `*`; weak comparison, RFC 9110). */
export function matchesIfNoneMatch(header: string | string[] | undefined, etag: string): boolean {
  if (!header) return false;
  const raw = Array.isArray(header) ? header.join(',') : header;
  const bare = (t: string): string => t.trim().replace(/^W\//, '');
  return raw.split(',').some((t) => t.trim() === '*' || bare(t) === bare(etag));
}
