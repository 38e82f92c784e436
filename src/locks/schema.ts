import { sql, type Kysely, type Migration } from 'kysely';

/** Which database holds the tables (the audit trail's). */
export type ChatopsDialect = 'sqlite' | 'postgres';

/**
 * A stage lock. At most one unreleased lock per (repository, stage): a partial unique index makes
 * taking a lock atomic across app processes. An expired lock is released by the first reader that
 * sees it expired (`release_how = 'expired'`), but is inactive from `expires_at` on regardless.
 */
export interface StageLocksTable {
  id: string;
  repository: string;
  stage: string;
  holder: string;
  reason: string | null;
  locked_at: string;
  expires_at: string | null;
  pull_request: number | null;
  comment_url: string | null;
  released_at: string | null;
  released_by: string | null;
  /** `unlocked` or `expired`. */
  release_how: string | null;
  release_comment_url: string | null;
}

/** A break-glass: one per promotion head (repository, stage, pull request, head). */
export interface BreakGlassTable {
  id: string;
  repository: string;
  stage: string;
  pull_request: number;
  head_sha: string;
  by_login: string;
  reason: string;
  at: string;
  /** JSON list of the waived rule groups (`break_glass.waive`). */
  waive: string;
  comment_url: string | null;
  issue_number: number | null;
  issue_url: string | null;
  approvals_required: number;
  deadline: string;
  /** JSON list of reviewers (users, `@org/team`s); empty: anyone with write access. */
  reviewers: string;
  overdue_flagged_at: string | null;
}

/** The approvals a break-glass got on its follow-up issue; one per reviewer. */
export interface BreakGlassApprovalsTable {
  break_glass_id: string;
  login: string;
  at: string;
  comment_url: string | null;
  note: string | null;
}

/**
 * Every comment command received, keyed by its comment: a redelivered or retried comment is
 * found here and never runs twice. `state`: `received` (claimed, running or interrupted),
 * `done`, `refused`, `failed`.
 */
export interface CommandHistoryTable {
  repository: string;
  comment_id: number;
  issue_number: number;
  author: string;
  command: string;
  text: string;
  comment_url: string | null;
  state: string;
  outcome: string | null;
  received_at: string;
  finished_at: string | null;
  reply_comment_id: number | null;
}

/** The ChatOps tables. */
export interface ChatopsSchema {
  stage_locks: StageLocksTable;
  break_glass: BreakGlassTable;
  break_glass_approvals: BreakGlassApprovalsTable;
  command_history: CommandHistoryTable;
}

/**
 * The migrations of the ChatOps tables, in order, for both dialects (never edit one that has
 * shipped; append). Names sort after the state store's own.
 */
export function chatopsMigrations(dialect: ChatopsDialect): Record<string, Migration> {
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    '0101_stage_locks': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('stage_locks')
          .ifNotExists()
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('repository', 'text', (c) => c.notNull())
          .addColumn('stage', 'text', (c) => c.notNull())
          .addColumn('holder', 'text', (c) => c.notNull())
          .addColumn('reason', 'text')
          .addColumn('locked_at', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'text')
          .addColumn('pull_request', 'integer')
          .addColumn('comment_url', 'text')
          .addColumn('released_at', 'text')
          .addColumn('released_by', 'text')
          .addColumn('release_how', 'text')
          .addColumn('release_comment_url', 'text')
          .execute();
        await sql.raw(`CREATE UNIQUE INDEX IF NOT EXISTS stage_locks_one_held ON stage_locks (repository, stage) WHERE released_at IS NULL`).execute(db);
        await db.schema.createIndex('stage_locks_expiry_idx').ifNotExists().on('stage_locks').columns(['released_at', 'expires_at']).execute();
      },
    },
    '0102_break_glass': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('break_glass')
          .ifNotExists()
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('repository', 'text', (c) => c.notNull())
          .addColumn('stage', 'text', (c) => c.notNull())
          .addColumn('pull_request', 'integer', (c) => c.notNull())
          .addColumn('head_sha', 'text', (c) => c.notNull())
          .addColumn('by_login', 'text', (c) => c.notNull())
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('waive', 'text', (c) => c.notNull())
          .addColumn('comment_url', 'text')
          .addColumn('issue_number', 'integer')
          .addColumn('issue_url', 'text')
          .addColumn('approvals_required', 'integer', (c) => c.notNull())
          .addColumn('deadline', 'text', (c) => c.notNull())
          .addColumn('reviewers', 'text', (c) => c.notNull())
          .addColumn('overdue_flagged_at', 'text')
          .execute();
        await db.schema.createIndex('break_glass_head_idx').ifNotExists().unique().on('break_glass').columns(['repository', 'stage', 'pull_request', 'head_sha']).execute();
        await db.schema.createIndex('break_glass_issue_idx').ifNotExists().on('break_glass').columns(['repository', 'issue_number']).execute();
        await db.schema
          .createTable('break_glass_approvals')
          .ifNotExists()
          .addColumn('break_glass_id', 'text', (c) => c.notNull())
          .addColumn('login', 'text', (c) => c.notNull())
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('comment_url', 'text')
          .addColumn('note', 'text')
          .addPrimaryKeyConstraint('break_glass_approvals_pkey', ['break_glass_id', 'login'])
          .execute();
      },
    },
    '0103_command_history': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('command_history')
          .ifNotExists()
          .addColumn('repository', 'text', (c) => c.notNull())
          .addColumn('comment_id', bigint, (c) => c.notNull())
          .addColumn('issue_number', 'integer', (c) => c.notNull())
          .addColumn('author', 'text', (c) => c.notNull())
          .addColumn('command', 'text', (c) => c.notNull())
          .addColumn('text', 'text', (c) => c.notNull())
          .addColumn('comment_url', 'text')
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('outcome', 'text')
          .addColumn('received_at', 'text', (c) => c.notNull())
          .addColumn('finished_at', 'text')
          .addColumn('reply_comment_id', bigint)
          .addPrimaryKeyConstraint('command_history_pkey', ['repository', 'comment_id'])
          .execute();
        await db.schema.createIndex('command_history_issue_idx').ifNotExists().on('command_history').columns(['repository', 'issue_number', 'received_at']).execute();
      },
    },
  };
}
