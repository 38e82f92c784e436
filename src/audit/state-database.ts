import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { withProcessMutex } from './locks.js';
import { redactUrl, resolveAuditStoreTarget, type OpenAuditStoreOptions } from './open.js';

/** A connection to the database the audit trail uses, for state kept beside it (ChatOps, the app service). */
export type StateDatabase<S> =
  | { dialect: 'postgres'; db: Kysely<S>; location: string; databaseUrl: string; turn: <T>(fn: () => Promise<T>) => Promise<T> }
  | { dialect: 'sqlite'; db: Kysely<S>; location: string; databaseUrl: null; turn: <T>(fn: () => Promise<T>) => Promise<T> };

/**
 * Connects to the audit trail's database (same options: `DATABASE_URL` wins, else `<dataDir>/stagegate.db`):
 * a PostgreSQL pool of `poolMax` connections, or the embedded file (WAL, 10 s busy timeout) whose writers
 * of this process take turns (`turn`) under the audit store's own mutex name (src/audit/open.ts).
 */
export async function connectStateDatabase<S>(opts: Pick<OpenAuditStoreOptions, 'databaseUrl' | 'dataDir' | 'env' | 'cwd'>, poolMax: number): Promise<StateDatabase<S>> {
  const target = resolveAuditStoreTarget(opts);
  if (target.dialect === 'postgres') {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({ connectionString: target.databaseUrl, max: poolMax, connectionTimeoutMillis: 10_000 });
    pool.on('error', () => {
      // An idle client lost its connection; the next query reports it.
    });
    const db = new Kysely<S>({ dialect: new PostgresDialect({ pool }) });
    return { dialect: 'postgres', db, location: redactUrl(target.databaseUrl), databaseUrl: target.databaseUrl, turn: (fn) => fn() };
  }
  const file = target.file;
  mkdirSync(resolve(file, '..'), { recursive: true, mode: 0o700 });
  const { default: Database } = await import('better-sqlite3');
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 10000');
  const db = new Kysely<S>({ dialect: new SqliteDialect({ database: sqlite }) });
  const name = `sqlite:${resolve(file)}`;
  return { dialect: 'sqlite', db, location: file, databaseUrl: null, turn: (fn) => withProcessMutex(name, fn) };
}
