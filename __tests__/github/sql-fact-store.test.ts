import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { PostgresServer } from '../../sandbox/services/postgres.js';
import { testPostgres } from '../helpers/postgres.js';
import { FactCache } from '../../src/github/fact-cache.js';
import { createGitHubFacts } from '../../src/github/facts.js';
import { ensureFactCacheTable, sqlFactStore, type FactCacheSchema } from '../../src/github/sql-fact-store.js';
import { FakeGitHub, linearCommits } from './support.js';

let pgServer: PostgresServer;
const dirs: string[] = [];
const dbs: Kysely<FactCacheSchema>[] = [];

beforeAll(async () => {
  pgServer = await testPostgres();
}, 60_000);
afterAll(async () => {
  for (const db of dbs) await db.destroy();
  await pgServer?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const backends: Array<[string, () => Promise<Kysely<FactCacheSchema>>]> = [
  [
    'embedded SQLite',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'stagegate-facts-'));
      dirs.push(dir);
      const db = new Kysely<FactCacheSchema>({ dialect: new SqliteDialect({ database: new Database(join(dir, 'state.db')) }) });
      dbs.push(db);
      return db;
    },
  ],
  [
    'PostgreSQL',
    async () => {
      const pool = new pg.Pool({ connectionString: await pgServer.createDatabase(), max: 2 });
      // An idle connection the server drops (shutdown, restart) errors on the pool; the next query reports it.
      pool.on('error', () => undefined);
      const db = new Kysely<FactCacheSchema>({ dialect: new PostgresDialect({ pool }) });
      dbs.push(db);
      return db;
    },
  ],
];

describe.each(backends)('facts shared through a SQL table (%s)', (_name, open) => {
  it('lets a second replica use what the first read, and expires and forgets rows', async () => {
    const db = await open();
    await ensureFactCacheTable(db);
    await ensureFactCacheTable(db);
    let now = 1_000_000;
    const store = sqlFactStore(db, { now: () => now, pruneEvery: 2 });
    const gh = new FakeGitHub();
    gh.commits = linearCommits(120);
    gh.pull.head = gh.commits[119]!.sha;
    const replica = () => createGitHubFacts({ client: gh, owner: 'acme', repo: 'shop', pullNumber: 7, cache: new FactCache({ store, now: () => now }) });
    expect((await replica().commits()).items).toHaveLength(120);
    const second = await replica().commits();
    expect(second.items.map((c) => c.sha)).toEqual(gh.commits.map((c) => c.sha));
    expect(gh.made('GET /repos/{owner}/{repo}/compare/{basehead}')).toHaveLength(2); // two pages, read once

    await store.set('a:perm:acme/shop:bob', '"kept"', 1000);
    await store.set('a:perm:acme/shop_x:bob', '"other repo"');
    expect(await store.get('a:perm:acme/shop:bob')).toBe('"kept"');
    now += 1001;
    expect(await store.get('a:perm:acme/shop:bob')).toBeUndefined();
    await store.deletePrefix('a:perm:acme/shop:');
    expect(await store.get('a:perm:acme/shop_x:bob')).toBe('"other repo"');
    await store.deletePrefix('a:perm:acme/shop_');
    expect(await store.get('a:perm:acme/shop_x:bob')).toBeUndefined();
    const expired = await db.selectFrom('fact_cache').select('key').where('key', '=', 'a:perm:acme/shop:bob').execute();
    expect(expired).toEqual([]);
  }, 60_000);
});
