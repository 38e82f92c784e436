// Jest global teardown: stops the run's shared PostgreSQL server (see global-setup.mjs).
export default async function globalTeardown() {
  const server = globalThis.stagegateSharedPostgres;
  delete globalThis.stagegateSharedPostgres;
  if (server) {
    delete process.env.STAGEGATE_TEST_POSTGRES_URL;
    await server.stop();
  }
}
