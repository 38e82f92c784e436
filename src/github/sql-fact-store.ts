import type { Kysely } from 'kysely';
import type { FactStore } from './fact-cache.js';

/** The `fact_cache` table: one row per cached fact (JSON text), with an optional expiry (ms since the epoch). */
export interface FactCacheTable {
  key: string;
  value: string;
  expires_at: number | string | null;
}

/** A database that has the `fact_cache` table (add it to the app's state schema). */
export interface FactCacheSchema {
  fact_cache: FactCacheTable;
}

/** Creates the `fact_cache` table when it is missing (SQLite and PostgreSQL). */
export async function ensureFactCacheTable(db: Kysely<FactCacheSchema>): Promise<void> {
  await db.schema
    .createTable('fact_cache')
    .ifNotExists()
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .execute();
  await db.schema.createIndex('fact_cache_expires_at').ifNotExists().on('fact_cache').column('expires_at').execute();
}

/** Options of {@link sqlFactStore}. */
export interface SqlFactStoreOptions {
  now?: () => number;
  /** How long a fact without a TTL of its own is kept (default 7 days: SHA-fixed facts of old ranges fall out). */
  defaultTtlMs?: number;
  /** Expired rows are deleted every this many writes (default 500). */
  pruneEvery?: number;
}

/**
 * A {@link FactStore} on a SQL table, so that every app replica on one database shares the facts one
 * of them read (and the gate comment's id and fingerprint). Every row expires; expired rows are pruned
 * as rows are written.
 */
export function sqlFactStore(db: Kysely<FactCacheSchema>, opts: SqlFactStoreOptions = {}): FactStore {
  const now = opts.now ?? Date.now;
  const defaultTtl = opts.defaultTtlMs ?? 7 * 24 * 3600_000;
  const pruneEvery = opts.pruneEvery ?? 500;
  let writes = 0;
  return {
    async get(key) {
      const row = await db.selectFrom('fact_cache').select(['value', 'expires_at']).where('key', '=', key).executeTakeFirst();
      if (!row) return undefined;
      if (row.expires_at !== null && Number(row.expires_at) <= now()) return undefined;
      return row.value;
    },
    async set(key, value, ttlMs) {
      const expires_at = now() + (ttlMs ?? defaultTtl);
      await db
        .insertInto('fact_cache')
        .values({ key, value, expires_at })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value, expires_at }))
        .execute();
      if (++writes % pruneEvery === 0) await db.deleteFrom('fact_cache').where('expires_at', '<=', now()).execute();
    },
    async deletePrefix(prefix) {
      // A key range instead of LIKE: no escaping of % and _, and the primary key's index serves it.
      await db.deleteFrom('fact_cache').where('key', '>=', prefix).where('key', '<', `${prefix}\uffff`).execute();
    },
  };
}
