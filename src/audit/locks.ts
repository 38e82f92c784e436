import { sql, type Kysely } from 'kysely';
import type { AuditSchema } from './schema.js';

/**
 * Runs `fn` in one write transaction during which no other writer (thread or process) can append
 * to the chains of `repositories`.
 */
export type ChainLock = <T>(db: Kysely<AuditSchema>, repositories: readonly string[], fn: (trx: Kysely<AuditSchema>) => Promise<T>) => Promise<T>;

const fileMutexes = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` after every earlier call for the same `name` in this process has settled. Two stores
 * opened on one SQLite file in one process must not wait on each other's write lock
 * synchronously (better-sqlite3 blocks the thread while busy), so they take turns here first.
 */
export function withProcessMutex<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const previous = fileMutexes.get(name) ?? Promise.resolve();
  const run = previous.then(fn, fn);
  const settled = run.then(
    () => undefined,
    () => undefined,
  );
  fileMutexes.set(name, settled);
  void settled.then(() => {
    if (fileMutexes.get(name) === settled) fileMutexes.delete(name);
  });
  return run;
}

/**
 * SQLite lock for the database file `file`: in-process turn-taking, then BEGIN IMMEDIATE, which
 * takes the database write lock up front (other processes wait up to busy_timeout).
 */
export function sqliteChainLock(file: string): ChainLock {
  return (db, _repositories, fn) => withProcessMutex(`sqlite:${file}`, () => sqliteImmediateTransaction(db, fn));
}

/**
 * One SQLite transaction begun with BEGIN IMMEDIATE (the database write lock taken up front, so two
 * writers never deadlock upgrading a read lock) on one connection; rolled back when `fn` throws.
 */
export function sqliteImmediateTransaction<DB, T>(db: Kysely<DB>, fn: (conn: Kysely<DB>) => Promise<T>): Promise<T> {
  return db.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    try {
      const result = await fn(conn);
      await sql`commit`.execute(conn);
      return result;
    } catch (error) {
      await sql`rollback`.execute(conn).catch(() => undefined);
      throw error;
    }
  });
}

/** PostgreSQL lock: one transaction holding a transaction-scoped advisory lock per chain. */
export const postgresChainLock: ChainLock = (db, repositories, fn) =>
  db.transaction().execute(async (trx) => {
    for (const repository of [...repositories].sort()) {
      await sql`select pg_advisory_xact_lock(hashtextextended(${'stagegate-audit:' + repository}, 0))`.execute(trx);
    }
    return fn(trx);
  });
