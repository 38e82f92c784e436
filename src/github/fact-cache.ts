import { LRUCache } from 'lru-cache';

/**
 * A shared home for cached facts (e.g. a database table), so that app replicas share what each one
 * read. Values are JSON text written by {@link FactCache}; a value that does not parse is a miss.
 * A store that fails only costs requests: cache errors never fail, or pass, a gate.
 */
export interface FactStore {
  get(key: string): Promise<string | undefined>;
  /** `ttlMs` absent: kept until the store's own bound evicts it. */
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  /** Deletes every key that starts with `prefix`. */
  deletePrefix(prefix: string): Promise<void>;
}

/** A GitHub response kept for a conditional request (`If-None-Match: <etag>`). */
export interface HttpEntry {
  etag: string;
  data: unknown;
  /** The `Link` header, for paginated listings. */
  link?: string;
  /** When GitHub last confirmed this copy (a 200 or a 304), ms since the epoch. */
  validatedAt: number;
}

/** Options of {@link FactCache}. */
export interface FactCacheOptions {
  /** Bound of the in-memory cache in bytes of JSON (default 64 MiB); the least recently used facts go first. */
  maxBytes?: number;
  /** A shared store (e.g. the app's database) behind the in-memory cache. */
  store?: FactStore;
  /** The clock, ms since the epoch (tests move it). */
  now?: () => number;
  /**
   * How long a changeable fact (reviews, checks, statuses, deployments, the policy file) read by one
   * evaluation may be used by the next one without asking GitHub, when the event that triggered the
   * next one cannot change it (default 10 s: bursts of events share one read; later events revalidate,
   * which a `304` makes free).
   */
  reuseMs?: number;
  /** How long a permission or team membership is kept unless an event invalidates it (default 5 minutes). */
  accessTtlMs?: number;
}

type Slot = { v: unknown };

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/** Lower-cased `owner/name`, as GitHub compares repository names. */
export function repoKey(repository: string): string {
  return repository.toLowerCase();
}

/** The cache key of a permission: `a:perm:<repo>:<login>`. */
export function permissionKey(repository: string, login: string): string {
  return `a:perm:${repoKey(repository)}:${login.toLowerCase()}`;
}

/** The cache key of a team membership: `a:team:<org>/<team>:<login>`. */
export function teamKey(org: string, team: string, login: string): string {
  return `a:team:${org.toLowerCase()}/${team.toLowerCase()}:${login.toLowerCase()}`;
}

/**
 * Facts cached across evaluations, bounded by size and shared by every evaluation of the process
 * (and, with a {@link FactStore}, by every replica). Three kinds of entry:
 * - immutable facts keyed by the SHAs they derive from (a range's commits, changed files, trees,
 *   merged pull requests): kept until evicted, never revalidated, since a SHA names fixed content;
 * - GitHub responses with their ETag, revalidated by conditional requests (a `304` is free);
 * - short-lived access answers (permissions, team membership), kept minutes unless invalidated by
 *   the events that change them.
 */
export class FactCache {
  readonly reuseMs: number;
  readonly accessTtlMs: number;
  readonly now: () => number;
  private readonly lru: LRUCache<string, Slot>;
  private readonly store: FactStore | undefined;
  private readonly inflight = new Map<string, Promise<unknown>>();
  private generation = 0;

  constructor(opts: FactCacheOptions = {}) {
    this.reuseMs = opts.reuseMs ?? 10_000;
    this.accessTtlMs = opts.accessTtlMs ?? 5 * 60_000;
    this.now = opts.now ?? Date.now;
    this.store = opts.store;
    this.lru = new LRUCache<string, Slot>({ maxSize: opts.maxBytes ?? DEFAULT_MAX_BYTES, sizeCalculation: (s, key) => Math.max(1, key.length + sizeOf(s.v)) });
  }

  /** Number of entries held in memory. */
  get size(): number {
    return this.lru.size;
  }

  /**
   * An immutable fact: read once, then served from the cache. `keep` decides whether a result may
   * be kept (incomplete listings are not: they are read again next time). Concurrent callers share
   * one read.
   */
  async immutable<T>(key: string, read: () => Promise<T>, keep: (value: T) => boolean = () => true): Promise<T> {
    const k = `i:${key}`;
    const hit = await this.load(k);
    if (hit !== undefined) return hit.v as T;
    return this.share(k, async () => {
      const value = await read();
      if (keep(value)) await this.save(k, value);
      return value;
    });
  }

  /** The kept response for a conditional request, if any. */
  async http(key: string): Promise<HttpEntry | undefined> {
    const hit = await this.load(key);
    const e = hit?.v as HttpEntry | undefined;
    return e && typeof e.etag === 'string' && typeof e.validatedAt === 'number' ? e : undefined;
  }

  /** Keeps a response for later conditional requests. */
  async putHttp(key: string, entry: HttpEntry): Promise<void> {
    await this.save(key, entry);
  }

  /**
   * A short-lived answer (a permission, a team membership): read once, then served for
   * `accessTtlMs` unless an invalidation forgets it first (`fresh`: read again now, and keep that).
   * Concurrent callers share one read.
   */
  async access<T>(key: string, read: () => Promise<T>, opts: { fresh?: boolean } = {}): Promise<T> {
    const hit = opts.fresh ? undefined : await this.load(key);
    const slot = hit?.v as { value: T; expiresAt: number } | undefined;
    if (slot && typeof slot.expiresAt === 'number' && slot.expiresAt > this.now()) return slot.value;
    const generation = this.generation;
    return this.share(key, async () => {
      const value = await read();
      // An invalidation while the read was under way may have outdated it: use it, but do not keep it.
      if (generation === this.generation) await this.save(key, { value, expiresAt: this.now() + this.accessTtlMs });
      return value;
    });
  }

  /** A value remembered with {@link remember} (e.g. the id and fingerprint of the gate comment). */
  async recall<T>(key: string): Promise<T | undefined> {
    return (await this.load(`r:${key}`))?.v as T | undefined;
  }

  /** Remembers a small value under `key` until evicted or forgotten. */
  async remember(key: string, value: unknown): Promise<void> {
    await this.save(`r:${key}`, value);
  }

  /** Forgets the permissions cached for a repository (one login, or everyone). */
  async invalidatePermissions(repository: string, login?: string): Promise<void> {
    await this.forget(login ? permissionKey(repository, login) : `a:perm:${repoKey(repository)}:`);
  }

  /** Forgets the team memberships cached for a team (every team of the organization when `team` is absent). */
  async invalidateTeams(org: string, team?: string): Promise<void> {
    await this.forget(team ? `a:team:${org.toLowerCase()}/${team.toLowerCase()}:` : `a:team:${org.toLowerCase()}/`);
  }

  /** Forgets every permission and team membership of an organization (a member removed, a team changed). */
  async invalidateOrganization(org: string): Promise<void> {
    await this.forget(`a:perm:${org.toLowerCase()}/`);
    await this.forget(`a:team:${org.toLowerCase()}/`);
  }

  /** Forgets every entry whose key starts with `prefix`. */
  async forget(prefix: string): Promise<void> {
    this.generation++;
    for (const k of [...this.inflight.keys()]) if (k.startsWith(prefix)) this.inflight.delete(k);
    for (const k of [...this.lru.keys()]) if (k.startsWith(prefix)) this.lru.delete(k);
    if (this.store) await this.store.deletePrefix(prefix).catch(() => undefined);
  }

  /** One read per key at a time: concurrent callers share its promise. */
  private share<T>(key: string, read: () => Promise<T>): Promise<T> {
    const running = this.inflight.get(key);
    if (running) return running as Promise<T>;
    const p: Promise<T> = read().finally(() => {
      if (this.inflight.get(key) === p) this.inflight.delete(key);
    });
    this.inflight.set(key, p);
    return p;
  }

  private async load(key: string): Promise<Slot | undefined> {
    const mem = this.lru.get(key);
    if (mem) return mem;
    if (!this.store) return undefined;
    const text = await this.store.get(key).catch(() => undefined);
    if (text === undefined) return undefined;
    try {
      const slot: Slot = { v: JSON.parse(text) as unknown };
      this.lru.set(key, slot);
      return slot;
    } catch {
      return undefined;
    }
  }

  private async save(key: string, value: unknown): Promise<void> {
    this.lru.set(key, { v: value });
    if (this.store) await this.store.set(key, JSON.stringify(value), key.startsWith('a:') ? this.accessTtlMs : undefined).catch(() => undefined);
  }
}

function sizeOf(v: unknown): number {
  try {
    return JSON.stringify(v)?.length ?? 1;
  } catch {
    return 1;
  }
}
