import { CompiledQuery, Kysely, Migrator, sql } from 'kysely';
import { sqliteImmediateTransaction } from '../audit/locks.js';
import type { OpenAuditStoreOptions } from '../audit/open.js';
import { connectStateDatabase } from '../audit/state-database.js';
import { serviceMigrations, type ServiceDialect, type ServiceSchema } from './schema.js';

/** Kysely's migration bookkeeping of the service tables. */
export const SERVICE_MIGRATION_TABLE = 'stagegate_service_migration';
export const SERVICE_MIGRATION_LOCK_TABLE = 'stagegate_service_migration_lock';

/** A database handle: Kysely plus raw SQL (what pg-boss runs inside our transaction). */
export type ServiceDb = Kysely<ServiceSchema>;

/** Runs raw SQL with positional parameters on a handle (pg-boss's `db.executeSql` contract). */
export async function executeSql(db: ServiceDb, text: string, values: unknown[]): Promise<{ rows: unknown[] }> {
  const res = await db.executeQuery(CompiledQuery.raw(text, values));
  return { rows: [...res.rows] };
}

/**
 * The app service's state — deliveries seen, the embedded queue's jobs, policy hints — in the audit
 * trail's database (the embedded file, or PostgreSQL), shared by every app process on it.
 */
export interface ServiceState {
  readonly dialect: ServiceDialect;
  /** Where it is (a file, or the URL without its password). */
  readonly location: string;
  /** PostgreSQL only: the connection string (the job queue connects with it). */
  readonly databaseUrl: string | null;
  read<T>(fn: (db: ServiceDb) => Promise<T>): Promise<T>;
  /** One write transaction (SQLite: BEGIN IMMEDIATE, taking turns with this process's other writers). */
  transaction<T>(fn: (tx: ServiceDb) => Promise<T>): Promise<T>;
  /** Whether the database answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

class KyselyServiceState implements ServiceState {
  #closed = false;
  constructor(
    private readonly db: ServiceDb,
    readonly dialect: ServiceDialect,
    readonly location: string,
    readonly databaseUrl: string | null,
    private readonly turn: <T>(fn: () => Promise<T>) => Promise<T>,
  ) {}

  read<T>(fn: (db: ServiceDb) => Promise<T>): Promise<T> {
    this.#open();
    return this.turn(() => fn(this.db));
  }

  transaction<T>(fn: (tx: ServiceDb) => Promise<T>): Promise<T> {
    this.#open();
    if (this.dialect === 'postgres') return this.db.transaction().execute(fn);
    return this.turn(() => sqliteImmediateTransaction(this.db, fn));
  }

  async ping(): Promise<void> {
    await this.read((db) => sql`select 1`.execute(db));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.db.destroy();
  }

  #open(): void {
    if (this.#closed) throw new Error(`service state ${this.location} is closed`);
  }
}

async function migrate(db: ServiceDb, dialect: ServiceDialect, location: string): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => serviceMigrations() },
    migrationTableName: SERVICE_MIGRATION_TABLE,
    migrationLockTableName: SERVICE_MIGRATION_LOCK_TABLE,
  });
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    if (!error) return;
    const rawCode = (error as { code?: unknown }).code;
    const code = typeof rawCode === 'string' || typeof rawCode === 'number' ? String(rawCode) : '';
    const raced = dialect === 'sqlite' ? /^SQLITE_(BUSY|LOCKED|CONSTRAINT)/.test(code) : code === '23505' || code === '40P01' || code === '42P07';
    if (raced && attempt < 8) {
      await new Promise((r) => setTimeout(r, 20 * attempt + Math.floor(Math.random() * 20)));
      continue;
    }
    await db.destroy().catch(() => undefined);
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`service state migrations failed on ${location}${failed ? ` (${failed})` : ''}: ${error instanceof Error ? error.message : JSON.stringify(error)}`);
  }
}

/** Opens the service state in the database the audit trail uses (`DATABASE_URL` wins, else `<dataDir>/stagegate.db`) and migrates it. */
export async function openServiceState(opts: Pick<OpenAuditStoreOptions, 'databaseUrl' | 'dataDir' | 'env' | 'cwd'> = {}): Promise<ServiceState> {
  const c = await connectStateDatabase<ServiceSchema>(opts, 5);
  await c.turn(() => migrate(c.db, c.dialect, c.location));
  return new KyselyServiceState(c.db, c.dialect, c.location, c.databaseUrl, c.turn);
}
