import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PostgresServer } from '../../sandbox/services/postgres.js';
import { testPostgres } from '../helpers/postgres.js';
import { openChatopsState, type ChatopsState } from '../../src/locks/open.js';

/** A fresh ChatOps database of one backend: open it as often as app processes would. */
export interface FreshChatops {
  open(): Promise<ChatopsState>;
}

/** A backend the ChatOps state suites run against: real SQLite, real PostgreSQL. */
export interface ChatopsBackend {
  name: 'embedded' | 'postgresql';
  start(): Promise<void>;
  stop(): Promise<void>;
  fresh(): Promise<FreshChatops>;
}

function embedded(): ChatopsBackend {
  const dirs: string[] = [];
  return {
    name: 'embedded',
    async start() {},
    async stop() {
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    },
    async fresh() {
      const dir = mkdtempSync(join(tmpdir(), 'stagegate-chatops-'));
      dirs.push(dir);
      return { open: () => openChatopsState({ dataDir: dir, env: {} }) };
    },
  };
}

function postgres(): ChatopsBackend {
  let server: PostgresServer | undefined;
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
      return { open: () => openChatopsState({ databaseUrl: url, env: {} }) };
    },
  };
}

/** Both backends, for `describe.each`. */
export function chatopsBackends(): Array<[ChatopsBackend['name'], ChatopsBackend]> {
  return [
    ['embedded', embedded()],
    ['postgresql', postgres()],
  ];
}
