import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { startPostgres, type PostgresServer } from '../../sandbox/services/postgres.js';
import { openAuditStore } from '../../src/audit/open.js';

describe('PostgreSQL: an app role with SELECT, INSERT only (docs/audit.md)', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(() => server.stop());

  async function query(url: string, sql: string): Promise<string> {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query(sql);
      return 'ok';
    } catch (error) {
      return (error as Error).message;
    } finally {
      await c.end();
    }
  }

  it('appends and reads, and can neither change records nor switch the guard off', async () => {
    const url = await server.createDatabase();
    await (await openAuditStore({ databaseUrl: url, env: {} })).close();
    for (const sql of [
      'CREATE ROLE stagegate_app LOGIN',
      'REVOKE CREATE ON SCHEMA public FROM PUBLIC',
      'GRANT USAGE ON SCHEMA public TO stagegate_app',
      'GRANT SELECT, INSERT ON audit_records TO stagegate_app',
      'GRANT SELECT ON kysely_migration, kysely_migration_lock TO stagegate_app',
    ]) {
      expect(await query(url, sql)).toBe('ok');
    }
    const appUrl = url.replace('postgres://postgres@', 'postgres://stagegate_app@');
    const store = await openAuditStore({ databaseUrl: appUrl, env: {} });
    try {
      const { appended, record } = await store.append({
        key: 'k1',
        repository: 'acme/shop',
        stage: 'production',
        pullRequest: 1,
        baseSha: null,
        headSha: null,
        actor: 'x',
        kind: 'gate.result',
        at: '2026-11-22T10:00:00Z',
        details: { state: 'passed' },
      });
      expect([appended, record.seq]).toEqual([true, 1]);
    } finally {
      await store.close();
    }
    expect(await query(appUrl, "UPDATE audit_records SET actor = 'mallory'")).toMatch(/permission denied/);
    expect(await query(appUrl, 'DELETE FROM audit_records')).toMatch(/permission denied/);
    expect(await query(appUrl, 'TRUNCATE audit_records')).toMatch(/permission denied/);
    expect(await query(appUrl, 'ALTER TABLE audit_records DISABLE TRIGGER ALL')).toMatch(/must be owner/);
    expect(await query(appUrl, 'SET session_replication_role = replica')).toMatch(/permission denied/);
    // The owner (here a superuser) is stopped by the trigger unless it switches the trigger off.
    expect(await query(url, 'TRUNCATE audit_records')).toMatch(/append-only/);
    expect(await query(url, 'DELETE FROM audit_records')).toMatch(/append-only/);
  });
});
