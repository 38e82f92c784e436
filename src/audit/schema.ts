import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { createDeliveryRollupTables, rebuildDeliveryRollup, type DeliveryCommitsTable, type DeliveryDeploymentsTable } from './delivery-rollup.js';
import { createDeployIntentsTable, type DeployIntentsTable } from './deploy-intents.js';
import type { AuditDialect } from './types.js';

/** The `audit_records` table as Kysely sees it (same columns in both dialects). */
export interface AuditRecordsTable {
  repository: string;
  seq: number;
  key: string;
  stage: string;
  pull_request: number | null;
  base_sha: string | null;
  head_sha: string | null;
  actor: string | null;
  kind: string;
  at: string;
  recorded_at: string;
  /** Canonical JSON text (the exact text that was hashed). */
  details: string;
  deployment_id: string | null;
  prev_hash: string;
  hash: string;
}

/** The database schema of the audit store. */
export interface AuditSchema {
  audit_records: AuditRecordsTable;
  /** Derived (./delivery-rollup.ts): one row per deployment of a promotion. */
  delivery_deployments: DeliveryDeploymentsTable;
  /** Derived (./delivery-rollup.ts): one row per commit the first time it is promoted to a stage. */
  delivery_commits: DeliveryCommitsTable;
  /** One row per (repository, pull request, merge commit) the app deploys (./deploy-intents.ts); updated, not append-only. */
  deploy_intents: DeployIntentsTable;
}

const APPEND_ONLY_MESSAGE = 'stagegate: audit_records is append-only';

/**
 * The one list of migrations, for both dialects. Kysely's Migrator records which ran, so running
 * them at every open is idempotent (and serialised between processes by its migration lock).
 */
export function auditMigrations(dialect: AuditDialect): Record<string, Migration> {
  return {
    '0001_audit_records': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('audit_records')
          .ifNotExists()
          .addColumn('repository', 'text', (c) => c.notNull())
          .addColumn('seq', 'integer', (c) => c.notNull())
          .addColumn('key', 'text', (c) => c.notNull().unique())
          .addColumn('stage', 'text', (c) => c.notNull())
          .addColumn('pull_request', 'integer')
          .addColumn('base_sha', 'text')
          .addColumn('head_sha', 'text')
          .addColumn('actor', 'text')
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('recorded_at', 'text', (c) => c.notNull())
          .addColumn('details', 'text', (c) => c.notNull())
          .addColumn('deployment_id', 'text')
          .addColumn('prev_hash', 'text', (c) => c.notNull())
          .addColumn('hash', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('audit_records_pkey', ['repository', 'seq'])
          .addUniqueConstraint('audit_records_chain_link', ['repository', 'prev_hash'])
          .execute();
        await db.schema.createIndex('audit_records_kind_idx').ifNotExists().on('audit_records').columns(['repository', 'kind', 'seq']).execute();
        await db.schema.createIndex('audit_records_deployment_idx').ifNotExists().on('audit_records').columns(['repository', 'deployment_id', 'seq']).execute();
        if (dialect === 'sqlite') {
          for (const op of ['UPDATE', 'DELETE']) {
            await sql
              .raw(`CREATE TRIGGER IF NOT EXISTS audit_records_no_${op.toLowerCase()} BEFORE ${op} ON audit_records ` + `BEGIN SELECT RAISE(ABORT, '${APPEND_ONLY_MESSAGE} (${op} rejected)'); END`)
              .execute(db);
          }
        } else {
          await sql
            .raw(
              `CREATE OR REPLACE FUNCTION stagegate_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
               BEGIN
                 RAISE EXCEPTION '${APPEND_ONLY_MESSAGE} (% rejected)', TG_OP USING ERRCODE = 'insufficient_privilege';
               END $$`,
            )
            .execute(db);
          await sql
            .raw(
              `CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE ON audit_records
               FOR EACH ROW EXECUTE FUNCTION stagegate_audit_append_only()`,
            )
            .execute(db);
          await sql
            .raw(
              `CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records
               FOR EACH STATEMENT EXECUTE FUNCTION stagegate_audit_append_only()`,
            )
            .execute(db);
        }
      },
    },
    '0002_delivery_rollup': {
      // Roll-up tables for the delivery metrics, kept in the append's transaction from now on and
      // filled here from the records already in the chain.
      async up(db: Kysely<unknown>) {
        await createDeliveryRollupTables(db, dialect);
        await rebuildDeliveryRollup(db as Kysely<AuditSchema>);
      },
    },
    '0003_deploy_intents': {
      // Exactly-once deploys: the intent is taken here before anything is created on GitHub.
      async up(db: Kysely<unknown>) {
        await createDeployIntentsTable(db);
      },
    },
  };
}

/** A Kysely MigrationProvider over {@link auditMigrations}. */
export function auditMigrationProvider(dialect: AuditDialect): MigrationProvider {
  return { getMigrations: async () => auditMigrations(dialect) };
}
