import { Kysely, Migrator } from 'kysely';
import type { OpenAuditStoreOptions } from '../audit/open.js';
import { connectStateDatabase } from '../audit/state-database.js';
import { sqliteImmediateTransaction } from '../audit/locks.js';
import { errorCode, errorMessage } from '../errors.js';
import { chatopsMigrations, type ChatopsDialect, type ChatopsSchema } from './schema.js';
import type { ChatopsDb } from './store.js';

/** Kysely's migration bookkeeping of the ChatOps tables. */
export const CHATOPS_MIGRATION_TABLE = 'stagegate_chatops_migration';
export const CHATOPS_MIGRATION_LOCK_TABLE = 'stagegate_chatops_migration_lock';

/**
 * The app's ChatOps state — stage locks, break-glasses and their follow-ups, the command history —
 * in the audit trail's database (the embedded file, or PostgreSQL), shared by every app process.
 * Table modules are plain functions over a {@link ChatopsDb}, used inside `read` or `transaction`.
 */
export interface ChatopsState {
  readonly dialect: ChatopsDialect;
  readonly location: string;
  /** Runs reads (and single writes) outside a transaction. */
  read<T>(fn: (db: ChatopsDb) => Promise<T>): Promise<T>;
  /** Runs `fn` in one write transaction (SQLite: BEGIN IMMEDIATE). Transient lock errors retry. */
  transaction<T>(fn: (tx: ChatopsDb) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const MAX_ATTEMPTS = 6;

function isTransient(dialect: ChatopsDialect, error: unknown): boolean {
  const code = errorCode(error);
  return dialect === 'sqlite' ? /^SQLITE_(BUSY|LOCKED)/.test(code) : code === '40001' || code === '40P01' || code === '23505';
}

class KyselyChatopsState implements ChatopsState {
  #closed = false;
  constructor(
    private readonly db: Kysely<ChatopsSchema>,
    readonly dialect: ChatopsDialect,
    readonly location: string,
    /** SQLite: this process's turn on the file, shared with the audit store's writers (better-sqlite3 waits for locks synchronously). */
    private readonly turn: <T>(fn: () => Promise<T>) => Promise<T>,
  ) {}

  read<T>(fn: (db: ChatopsDb) => Promise<T>): Promise<T> {
    this.#open();
    return this.turn(() => fn(this.db));
  }

  async transaction<T>(fn: (tx: ChatopsDb) => Promise<T>): Promise<T> {
    this.#open();
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.turn(() => this.#once(fn));
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS || !isTransient(this.dialect, error)) throw error;
        await new Promise((r) => setTimeout(r, 5 * attempt + Math.floor(Math.random() * 10)));
      }
    }
  }

  #once<T>(fn: (tx: ChatopsDb) => Promise<T>): Promise<T> {
    if (this.dialect === 'postgres') return this.db.transaction().execute(fn);
    return sqliteImmediateTransaction(this.db, fn);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.db.destroy();
  }

  #open(): void {
    if (this.#closed) throw new Error(`ChatOps state ${this.location} is closed`);
  }
}

async function migrate(db: Kysely<ChatopsSchema>, dialect: ChatopsDialect, location: string): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => chatopsMigrations(dialect) },
    migrationTableName: CHATOPS_MIGRATION_TABLE,
    migrationLockTableName: CHATOPS_MIGRATION_LOCK_TABLE,
  });
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    if (!error) return;
    const code = errorCode(error);
    const raced = dialect === 'sqlite' ? /^SQLITE_(BUSY|LOCKED|CONSTRAINT)/.test(code) : code === '23505' || code === '40P01' || code === '42P07';
    if (raced && attempt < 8) {
      await new Promise((r) => setTimeout(r, 20 * attempt + Math.floor(Math.random() * 20)));
      continue;
    }
    await db.destroy().catch(() => undefined);
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`ChatOps state migrations failed on ${location}${failed ? ` (${failed})` : ''}: ${errorMessage(error)}`);
  }
}

/** Opens the ChatOps state in the database the audit trail uses (same options: `DATABASE_URL` wins, else `<dataDir>/stagegate.db`) and migrates it. */
export async function openChatopsState(opts: Pick<OpenAuditStoreOptions, 'databaseUrl' | 'dataDir' | 'env' | 'cwd'> = {}): Promise<ChatopsState> {
  const c = await connectStateDatabase<ChatopsSchema>(opts, 3);
  await c.turn(() => migrate(c.db, c.dialect, c.location));
  return new KyselyChatopsState(c.db, c.dialect, c.location, c.turn);
}
