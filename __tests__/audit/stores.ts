import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { PostgresServer } from '../../sandbox/services/postgres.js';
import { testPostgres } from '../helpers/postgres.js';
import { EMBEDDED_FILE, openAuditStore } from '../../src/audit/open.js';
import type { AuditDatabase } from '../../src/audit/types.js';

/** A fresh, empty audit database of one backend. */
export interface FreshStore {
  open(): Promise<AuditDatabase>;
  /** Runs SQL statements with the append-only guard out of the way (as an attacker with DB access would). */
  tamper(statements: readonly string[]): Promise<void>;
  /** Runs one SQL statement with the guard in place; resolves to the error message, or null. */
  tryRaw(statement: string): Promise<string | null>;
  /** CLI flags that select this database. */
  cliArgs: string[];
}

/** A store backend the shared suites run against. */
export interface StoreBackend {
  name: 'embedded' | 'postgresql';
  start(): Promise<void>;
  stop(): Promise<void>;
  fresh(): Promise<FreshStore>;
}

function embeddedBackend(): StoreBackend {
  const dirs: string[] = [];
  return {
    name: 'embedded',
    async start() {},
    async stop() {
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    },
    async fresh() {
      const dir = mkdtempSync(join(tmpdir(), 'stagegate-audit-'));
      dirs.push(dir);
      const file = join(dir, EMBEDDED_FILE);
      const raw = async (statements: readonly string[], dropGuard: boolean): Promise<void> => {
        const db = new Database(file);
        try {
          db.pragma('busy_timeout = 5000');
          if (dropGuard) {
            db.exec('DROP TRIGGER IF EXISTS audit_records_no_update; DROP TRIGGER IF EXISTS audit_records_no_delete;');
          }
          for (const s of statements) db.exec(s);
        } finally {
          db.close();
        }
      };
      return {
        open: () => openAuditStore({ dataDir: dir, env: {} }),
        tamper: (statements) => raw(statements, true),
        async tryRaw(statement) {
          try {
            await raw([statement], false);
            return null;
          } catch (error) {
            return (error as Error).message;
          }
        },
        cliArgs: ['--data-dir', dir],
      };
    },
  };
}

function postgresBackend(): StoreBackend {
  let server: PostgresServer | undefined;
  const raw = async (url: string, statements: readonly string[], bypassGuard: boolean): Promise<void> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      // Superuser only: skips ordinary triggers, as an attacker with database access could.
      if (bypassGuard) await client.query('SET session_replication_role = replica');
      for (const s of statements) await client.query(s);
    } finally {
      await client.end();
    }
  };
  return {
    name: 'postgresql',
    async start() {
      server = await testPostgres();
    },
    async stop() {
      await server?.stop();
      server = undefined;
    },
    async fresh() {
      if (!server) throw new Error('PostgreSQL server not started');
      const url = await server.createDatabase();
      return {
        open: () => openAuditStore({ databaseUrl: url, env: {} }),
        tamper: (statements) => raw(url, statements, true),
        async tryRaw(statement) {
          try {
            await raw(url, [statement], false);
            return null;
          } catch (error) {
            return (error as Error).message;
          }
        },
        cliArgs: ['--database-url', url],
      };
    },
  };
}

/** Both backends, for `describe.each`. */
export function storeBackends(): Array<[StoreBackend['name'], StoreBackend]> {
  return [
    ['embedded', embeddedBackend()],
    ['postgresql', postgresBackend()],
  ];
}

/** SQL that swaps the positions (seq) of two records of a chain, keeping everything else. */
export function swapSeqSql(repository: string, a: number, b: number): string[] {
  const repo = repository.replace(/'/g, "''");
  return [
    `UPDATE audit_records SET seq = -1 WHERE repository = '${repo}' AND seq = ${a}`,
    `UPDATE audit_records SET seq = ${a} WHERE repository = '${repo}' AND seq = ${b}`,
    `UPDATE audit_records SET seq = ${b} WHERE repository = '${repo}' AND seq = -1`,
  ];
}

/**
 * SQL that rewrites a whole chain from record `fromSeq` on as a database owner could: `actor` of
 * that record changed to `actor`, and every hash from there recomputed, so the chain's own links
 * verify again. Only anchors published outside the database can tell.
 */
export async function rehashedRewriteSql(store: AuditDatabase, repository: string, fromSeq: number, actor: string): Promise<string[]> {
  const { recordHash } = await import('../../src/audit/hash.js');
  const rows = await store.scanRaw(repository, 0, 1_000_000);
  const q = (v: string): string => `'${v.replace(/'/g, "''")}'`;
  const out: string[] = [];
  let prev: string | null = null;
  for (const row of rows) {
    if (row.seq < fromSeq) {
      prev = row.hash;
      continue;
    }
    const content = { ...row, actor: row.seq === fromSeq ? actor : row.actor, prevHash: prev ?? row.prevHash };
    const hash = recordHash(content);
    out.push(
      `UPDATE audit_records SET actor = ${content.actor === null ? 'NULL' : q(content.actor)}, prev_hash = ${q(content.prevHash)}, hash = ${q(hash)} WHERE repository = ${q(repository)} AND seq = ${row.seq}`,
    );
    prev = hash;
  }
  return out;
}
