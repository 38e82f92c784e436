import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './ports.js';

/** A PostgreSQL server started for tests or benchmarks. */
export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (superuser, trust auth on loopback). */
  databaseUrl: string;
  port: number;
  /** Creates a fresh database and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

/** Options of {@link startPostgres}. */
export interface StartPostgresOptions {
  /** Milliseconds to wait for the server to accept connections (default 30 s). */
  readyTimeoutMs?: number;
}

/** The directory holding `initdb` and `postgres` (newest major under /usr/lib/postgresql), or throws. */
export function findPostgresBin(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((d) => /^\d+$/.test(d))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  for (const major of majors) {
    const bin = join(root, major, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'postgres'))) return bin;
  }
  throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (initdb, postgres). ' + 'Install them: apt-get install -y postgresql (scripts/ensure-deps.sh does this).');
}

function postgresUser(): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const parts = line?.split(':');
  if (!parts || parts.length < 4) {
    throw new Error('running as root but there is no "postgres" OS user to run initdb/postgres as (initdb refuses root)');
  }
  return { uid: Number(parts[2]), gid: Number(parts[3]) };
}

/**
 * Starts a real PostgreSQL server on 127.0.0.1 (random free port) in a fresh temp directory:
 * `initdb` with trust auth, then `postgres` with the socket in that directory. When running as
 * root both run as the `postgres` OS user. Fails with a clear error when binaries are missing.
 */
export async function startPostgres(opts: StartPostgresOptions = {}): Promise<PostgresServer> {
  const bin = findPostgresBin();
  const user = postgresUser();
  const dir = mkdtempSync(join(tmpdir(), 'stagegate-pg-'));
  const data = join(dir, 'data');
  const ids = user ? { uid: user.uid, gid: user.gid } : {};
  if (user) {
    chownSync(dir, user.uid, user.gid);
  }
  chmodSync(dir, 0o700);
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C', HOME: dir, PGTZ: 'UTC' };
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'], { ...ids, env, cwd: dir, encoding: 'utf8' });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (exit ${init.status ?? init.signal}): ${init.error?.message ?? ''}${init.stderr}`);
  }
  const logFile = join(dir, 'postgres.log');
  writeFileSync(logFile, '');
  if (user) chownSync(logFile, user.uid, user.gid);

  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child = spawn(
      join(bin, 'postgres'),
      [
        '-D',
        data,
        '-p',
        String(port),
        '-k',
        dir,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'max_connections=50',
        '-c',
        'shared_buffers=32MB',
        '-c',
        'timezone=UTC',
      ],
      { ...ids, env, cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString('utf8')).slice(-4000);
    });
    const databaseUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
    try {
      await waitReady(databaseUrl, child, () => stderr, opts.readyTimeoutMs ?? 30_000);
    } catch (error) {
      lastError = error;
      await stopChild(child);
      if (/address already in use|could not bind/i.test(stderr)) continue;
      break;
    }
    // If the owner exits without stop() (a crashed test worker), take the server down with it.
    const onExit = (): void => {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    };
    process.once('exit', onExit);
    return {
      databaseUrl,
      port,
      createDatabase: (name?: string) => createDatabaseOn(databaseUrl, name),
      async stop() {
        process.off('exit', onExit);
        await stopChild(child);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`PostgreSQL did not start: ${(lastError as Error)?.message ?? String(lastError)}`);
}

/**
 * A PostgreSQL server already running (one started by {@link startPostgres} in another process, e.g. a
 * test run's global setup), reached by its superuser URL. `stop()` leaves it running: its owner stops it.
 */
export function attachPostgres(databaseUrl: string): PostgresServer {
  const url = new URL(databaseUrl);
  return { databaseUrl, port: Number(url.port), createDatabase: (name?: string) => createDatabaseOn(databaseUrl, name), stop: async () => undefined };
}

let counter = 0;

/** Creates a fresh database on the server at the superuser URL and returns its URL. */
async function createDatabaseOn(databaseUrl: string, name?: string): Promise<string> {
  const db = name ?? `t_${process.pid}_${Date.now().toString(36)}_${++counter}`;
  if (!/^[a-z_][a-z0-9_]*$/.test(db)) throw new Error(`invalid database name ${db}`);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${db} TEMPLATE template0`);
  } finally {
    await client.end();
  }
  const url = new URL(databaseUrl);
  url.pathname = `/${db}`;
  return url.toString();
}

async function waitReady(url: string, child: ChildProcess, stderr: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  for (;;) {
    if (exited || child.exitCode !== null) throw new Error(`postgres exited during start-up: ${stderr()}`);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.query('select 1');
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) {
        throw new Error(`postgres not ready after ${timeoutMs} ms: ${(error as Error).message}; log: ${stderr()}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
