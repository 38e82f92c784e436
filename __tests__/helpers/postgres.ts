import { attachPostgres, startPostgres, type PostgresServer } from '../../sandbox/services/postgres.js';

/** Where jest's global setup (global-setup.mjs) announces the run's shared PostgreSQL server: its superuser URL. */
export const SHARED_POSTGRES_ENV = 'STAGEGATE_TEST_POSTGRES_URL';

/**
 * The run's shared PostgreSQL server when jest's global setup started one (`npm test`), else one of the
 * suite's own. Either is real. Each caller makes its own databases with `createDatabase()`; `stop()`
 * stops only a server of its own.
 */
export async function testPostgres(): Promise<PostgresServer> {
  const shared = process.env[SHARED_POSTGRES_ENV];
  return shared ? attachPostgres(shared) : startPostgres();
}
