import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type SqliteDatabase } from 'kysely';
import { auditMigrationProvider, type AuditSchema } from './schema.js';
import { postgresChainLock, sqliteChainLock, withProcessMutex } from './locks.js';
import { errorCode, errorMessage } from '../errors.js';
import { KyselyAuditStore } from './sql-store.js';
import type { AuditDatabase, AuditDialect } from './types.js';

/** File name of the embedded store inside the data directory. */
export const EMBEDDED_FILE = 'stagegate.db';
/** Default data directory, relative to the working directory. */
export const DEFAULT_DATA_DIR = '.data';

/** Options of {@link openAuditStore}. Explicit options win over the environment. */
export interface OpenAuditStoreOptions {
  /** PostgreSQL URL; wins over `dataDir`. Default: `env.DATABASE_URL`. */
  databaseUrl?: string;
  /** Directory of the embedded store. Default: `env.STAGEGATE_DATA_DIR`, else `.data` under `cwd`. */
  dataDir?: string;
  /** Fail instead of creating an embedded database that does not exist yet (used by the CLI). */
  mustExist?: boolean;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Where {@link openAuditStore} would open the store, without opening it. */
export type AuditStoreTarget = { dialect: 'postgres'; databaseUrl: string } | { dialect: 'sqlite'; file: string };

/** Resolves the options and environment to one target: DATABASE_URL wins, else the embedded file. */
export function resolveAuditStoreTarget(opts: OpenAuditStoreOptions = {}): AuditStoreTarget {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const nonEmpty = (v: string | undefined): string | undefined => (v !== undefined && v.trim() !== '' ? v : undefined);
  const explicitUrl = nonEmpty(opts.databaseUrl);
  const explicitDir = nonEmpty(opts.dataDir);
  const url = explicitUrl ?? (explicitDir ? undefined : nonEmpty(env['DATABASE_URL']));
  if (url) return { dialect: 'postgres', databaseUrl: url };
  const dir = explicitDir ?? nonEmpty(env['STAGEGATE_DATA_DIR']) ?? DEFAULT_DATA_DIR;
  return { dialect: 'sqlite', file: join(isAbsolute(dir) ? dir : resolve(cwd, dir), EMBEDDED_FILE) };
}

/**
 * Opens the audit store: PostgreSQL when a database URL is given (option or `DATABASE_URL`),
 * otherwise the embedded database `<dataDir>/stagegate.db`. Runs the migrations (idempotent).
 * Only the driver in use is loaded.
 */
export async function openAuditStore(opts: OpenAuditStoreOptions = {}): Promise<AuditDatabase> {
  const target = resolveAuditStoreTarget(opts);
  return target.dialect === 'postgres' ? openPostgresAuditStore(target.databaseUrl) : openEmbeddedAuditStore({ file: target.file, mustExist: opts.mustExist ?? false });
}

/**
 * Opens (creating when needed) the embedded store at `file` (WAL mode). `':memory:'` gives a
 * private in-memory store, handy for tests of code that records audit events.
 */
export async function openEmbeddedAuditStore(opts: { file: string; mustExist?: boolean }): Promise<AuditDatabase> {
  const memory = opts.file === ':memory:';
  if (!memory) {
    if (opts.mustExist && !existsSync(opts.file)) {
      throw new Error(`no audit database at ${opts.file} (set --data-dir / STAGEGATE_DATA_DIR, or --database-url / DATABASE_URL)`);
    }
    mkdirSync(resolve(opts.file, '..'), { recursive: true, mode: 0o700 });
  }
  const { default: Database } = await import('better-sqlite3');
  let sqlite: BetterSqlite3.Database;
  try {
    sqlite = new Database(opts.file, { fileMustExist: !memory && (opts.mustExist ?? false) });
    if (!memory) sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 10000');
    sqlite.pragma('cache_size = -16000');
  } catch (error) {
    throw new Error(`cannot open the audit database ${opts.file}: ${errorMessage(error)}`, { cause: error });
  }
  const db = new Kysely<AuditSchema>({ dialect: new SqliteDialect({ database: cachingStatements(sqlite) }) });
  const mutexName = memory ? `memory:${randomUUID()}` : resolve(opts.file);
  await withProcessMutex(`sqlite:${mutexName}`, () => migrate(db, 'sqlite', opts.file));
  return new KyselyAuditStore({
    db,
    dialect: 'sqlite',
    location: opts.file,
    lock: sqliteChainLock(mutexName),
    turn: (fn) => withProcessMutex(`sqlite:${mutexName}`, fn),
    isRetryable: (e) => {
      const code = (e as { code?: unknown })?.code;
      return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
    },
  });
}

/**
 * The database as Kysely's SQLite driver sees it, with prepared statements reused (LRU): Kysely
 * prepares every query afresh, and the driver only runs them to completion (`all`/`run`), never
 * two at once, so a cached statement is never in use twice.
 */
function cachingStatements(sqlite: BetterSqlite3.Database, size = 128): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sqlText: string) {
      let stmt = cache.get(sqlText);
      if (stmt) {
        cache.delete(sqlText);
      } else {
        stmt = sqlite.prepare(sqlText);
        if (cache.size >= size) {
          const oldest = cache.keys().next();
          if (!oldest.done) cache.delete(oldest.value);
        }
      }
      cache.set(sqlText, stmt);
      return stmt;
    },
  };
}

/** Opens the PostgreSQL store at `databaseUrl` and runs the migrations. */
export async function openPostgresAuditStore(databaseUrl: string): Promise<AuditDatabase> {
  const location = redactUrl(databaseUrl);
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 5, connectionTimeoutMillis: 10_000 });
  pool.on('error', () => {
    // An idle client lost its connection; the next query reports it.
  });
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new Error(`cannot connect to PostgreSQL at ${location}: ${errorMessage(error)}`, { cause: error });
  }
  const db = new Kysely<AuditSchema>({ dialect: new PostgresDialect({ pool }) });
  await migrate(db, 'postgres', location);
  return new KyselyAuditStore({
    db,
    dialect: 'postgres',
    location,
    lock: postgresChainLock,
    isRetryable: (e) => {
      const code = (e as { code?: unknown })?.code;
      return code === '23505' || code === '40001' || code === '40P01';
    },
  });
}

async function migrate(db: Kysely<AuditSchema>, dialect: AuditDialect, location: string): Promise<void> {
  const migrator = new Migrator({ db, provider: auditMigrationProvider(dialect) });
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    if (!error) return;
    // Another process migrating the same database at the same moment: try again, it will be done.
    const code = errorCode(error);
    const raced = dialect === 'sqlite' ? /^SQLITE_(BUSY|LOCKED|CONSTRAINT)/.test(code) : code === '23505' || code === '40P01';
    if (raced && attempt < 8) {
      await new Promise((r) => setTimeout(r, 20 * attempt + Math.floor(Math.random() * 20)));
      continue;
    }
    await db.destroy().catch(() => undefined);
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`audit store migrations failed on ${location}${failed ? ` (${failed})` : ''}: ${errorMessage(error)}`);
  }
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable database URL)';
  }
}
