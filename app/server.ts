import { run } from 'probot';
import { openAuditStore } from '../src/audit/open.js';
import { openChatopsState } from '../src/locks/open.js';
import { createApp } from './index.js';
import { webConfigFromEnv } from './web/config.js';

/**
 * `npm start`: serves webhooks with Probot's standard variables (APP_ID, PRIVATE_KEY or
 * PRIVATE_KEY_PATH, WEBHOOK_SECRET, GHE_HOST/GHE_PROTOCOL, HOST, PORT, LOG_LEVEL) and the
 * audit store from DATABASE_URL (PostgreSQL) or STAGEGATE_DATA_DIR (embedded, default `.data`).
 */
async function main(): Promise<void> {
  if (process.env.APP_ID && !process.env.WEBHOOK_SECRET) {
    console.error('stagegate: WEBHOOK_SECRET is not set; refusing to accept unsigned webhooks. Set it to the secret configured on the GitHub App.');
    process.exit(2);
  }
  // The delivery health page (/stagegate/) is on when the app's OAuth client id and secret are set.
  const web = webConfigFromEnv(process.env);
  const store = await openAuditStore({
    ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}),
    dataDir: process.env.STAGEGATE_DATA_DIR ?? '.data',
  });
  const chatops = await openChatopsState({
    ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}),
    dataDir: process.env.STAGEGATE_DATA_DIR ?? '.data',
  });
  const appId = Number(process.env.APP_ID);
  const server = await run(createApp({ store, chatops, now: () => new Date(), ...(Number.isInteger(appId) && appId > 0 ? { appId } : {}), ...(web ? { web: { config: web, audit: store } } : {}) }));
  const stop = async () => {
    await server.stop();
    await chatops.close();
    await store.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  console.error(`stagegate: ${(err as Error).message}`);
  process.exit(1);
});
