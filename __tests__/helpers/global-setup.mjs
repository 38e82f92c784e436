// Jest global setup: one real PostgreSQL server for the whole run (each suite makes its own databases on
// it, see postgres.ts beside this file) instead of an initdb and a server per suite. Workers inherit its
// URL from the environment. Jest loads this file with Node's own resolver, so it uses the build of
// sandbox/services/postgres.ts in lib/ (scripts/test.sh builds before jest); without a build each suite
// starts its own server, as before.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Keep in step with SHARED_POSTGRES_ENV in postgres.ts. */
const SHARED_POSTGRES_ENV = 'STAGEGATE_TEST_POSTGRES_URL';
const BUILT = fileURLToPath(new URL('../../lib/sandbox/services/postgres.js', import.meta.url));

export default async function globalSetup() {
  if (process.env[SHARED_POSTGRES_ENV] || !existsSync(BUILT)) return;
  const { startPostgres } = await import(BUILT);
  const server = await startPostgres();
  globalThis.stagegateSharedPostgres = server;
  process.env[SHARED_POSTGRES_ENV] = server.databaseUrl;
}
