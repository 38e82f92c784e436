import type { Kysely, Migration } from 'kysely';

/** Which database holds the tables (the audit trail's). */
export type ServiceDialect = 'sqlite' | 'postgres';

/** One webhook delivery, by `X-GitHub-Delivery`: a redelivered or duplicated delivery is dropped. */
export interface DeliveriesTable {
  id: string;
  event: string;
  received_at: string;
}

/**
 * A job of the embedded (in-process) queue: stored with its delivery in one transaction, deleted
 * when it completes, so jobs (delayed ones included) survive a restart. PostgreSQL uses pg-boss's
 * own tables instead.
 */
export interface QueueJobsTable {
  id: string;
  queue: string;
  /** Coalescing and serialisation key (one pull request), or null. */
  key: string | null;
  /** JSON of the job. */
  data: string;
  /** ISO time it may start. */
  run_at: string;
  attempts: number;
  created_at: string;
}

/** A valid policy as read at a base commit (immutable at that SHA), so a fresh process skips events that cannot matter. */
export interface PolicyHintsTable {
  repository: string;
  base_sha: string;
  /** JSON of the policy. */
  config: string;
  at: string;
}

/** The tables of the app service's state. */
export interface ServiceSchema {
  stagegate_deliveries: DeliveriesTable;
  stagegate_queue_jobs: QueueJobsTable;
  stagegate_policy_hints: PolicyHintsTable;
}

/** The migrations of the service tables (both dialects; Kysely's Migrator records which ran). */
export function serviceMigrations(): Record<string, Migration> {
  return {
    '0001_service': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('stagegate_deliveries')
          .ifNotExists()
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('event', 'text', (c) => c.notNull())
          .addColumn('received_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('stagegate_deliveries_received_idx').ifNotExists().on('stagegate_deliveries').column('received_at').execute();
        await db.schema
          .createTable('stagegate_queue_jobs')
          .ifNotExists()
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('queue', 'text', (c) => c.notNull())
          .addColumn('key', 'text')
          .addColumn('data', 'text', (c) => c.notNull())
          .addColumn('run_at', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('stagegate_policy_hints')
          .ifNotExists()
          .addColumn('repository', 'text', (c) => c.notNull())
          .addColumn('base_sha', 'text', (c) => c.notNull())
          .addColumn('config', 'text', (c) => c.notNull())
          .addColumn('at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('stagegate_policy_hints_pkey', ['repository', 'base_sha'])
          .execute();
        await db.schema.createIndex('stagegate_policy_hints_at_idx').ifNotExists().on('stagegate_policy_hints').columns(['repository', 'at']).execute();
      },
    },
  };
}
