import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type PostgresServer } from '../../sandbox/services/postgres.js';
import { InProcessQueue } from '../../src/queue/in-process.js';
import { PgBossQueue } from '../../src/queue/pg-boss.js';
import { RetryLater, type JobQueue, type QueuedJob } from '../../src/queue/types.js';
import { openServiceState, type ServiceState } from '../../src/service/open.js';

// The two queue implementations against real databases: the embedded SQLite file and PostgreSQL (pg-boss).

let pgServer: PostgresServer;
beforeAll(async () => {
  pgServer = await startPostgres();
}, 60_000);
afterAll(async () => {
  await pgServer?.stop();
});

interface Msg {
  n: number;
}

type Opened = { queue: JobQueue<Msg>; state: ServiceState; close(): Promise<void> };

const until = async (what: string, ok: () => boolean, ms = 20_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

const fast = { limit: 3, baseMs: 1000, maxMs: 1000 };

async function pgQueue(url: string): Promise<Opened> {
  const state = await openServiceState({ databaseUrl: url, env: {} });
  const queue = await PgBossQueue.open<Msg>(state, { retry: fast, pollingIntervalSeconds: 0.5, concurrency: 2 });
  return { queue, state, close: async () => (await queue.stop(), await state.close()) };
}

function sqliteQueue(dir: string): Promise<Opened> {
  return openServiceState({ dataDir: dir, env: {} }).then((state) => {
    const queue = new InProcessQueue<Msg>(state, { retry: fast, concurrency: 2 });
    return { queue, state, close: async () => (await queue.stop(), await state.close()) };
  });
}

const kinds: [string, () => Promise<{ open(): Promise<Opened>; done(): void }>][] = [
  [
    'in-process (embedded SQLite)',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'stagegate-queue-'));
      return { open: () => sqliteQueue(dir), done: () => rmSync(dir, { recursive: true, force: true }) };
    },
  ],
  [
    'pg-boss (PostgreSQL)',
    async () => {
      const url = await pgServer.createDatabase();
      return { open: () => pgQueue(url), done: () => undefined };
    },
  ],
];

describe.each(kinds)('%s queue', (_name, make) => {
  it('drops a delivery recorded before, and runs the first one’s job', async () => {
    const m = await make();
    const a = await m.open();
    const seen: number[] = [];
    await a.queue.start(async (j: QueuedJob<Msg>) => void seen.push(j.data.n));
    expect(await a.queue.accept({ id: 'd-1', event: 'push' }, [{ queue: 'work', data: { n: 1 } }])).toBe('accepted');
    expect(await a.queue.accept({ id: 'd-1', event: 'push' }, [{ queue: 'work', data: { n: 2 } }])).toBe('duplicate');
    await until('the job', () => seen.length === 1);
    await new Promise((r) => setTimeout(r, 700));
    expect(seen).toEqual([1]);
    await a.close();
    m.done();
  }, 60_000);

  it('serialises and coalesces gate jobs of one key: while one runs, one waits, the rest are dropped', async () => {
    const m = await make();
    const a = await m.open();
    let running = 0;
    let most = 0;
    const ran: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    await a.queue.start(async (j) => {
      running++;
      most = Math.max(most, running);
      if (j.data.n === 0) await gate;
      ran.push(j.data.n);
      running--;
    });
    await a.queue.send({ queue: 'gate', data: { n: 0 }, options: { key: 'acme/shop#7' } });
    await until('the first job to run', () => running === 1);
    const sent: boolean[] = [];
    for (let n = 1; n <= 29; n++) sent.push(await a.queue.send({ queue: 'gate', data: { n }, options: { key: 'acme/shop#7' } }));
    expect(sent.filter(Boolean)).toHaveLength(1);
    release();
    await until('the waiting job', () => ran.length === 2);
    await new Promise((r) => setTimeout(r, 1000));
    expect(ran).toEqual([0, 1]);
    expect(most).toBe(1);
    await a.close();
    m.done();
  }, 60_000);

  it('keeps a delayed job across a restart and runs it once, after its time', async () => {
    const m = await make();
    const a = await m.open();
    const at = new Date(Date.now() + 2500);
    await a.queue.send({ queue: 'timer', data: { n: 42 }, options: { key: 'acme/shop#7', startAfter: at } });
    await a.close();
    const b = await m.open();
    const ran: { n: number; at: number }[] = [];
    await b.queue.start(async (j) => void ran.push({ n: j.data.n, at: Date.now() }));
    await until('the delayed job', () => ran.length === 1);
    await new Promise((r) => setTimeout(r, 1500));
    expect(ran.map((r) => r.n)).toEqual([42]);
    expect(ran[0]!.at).toBeGreaterThanOrEqual(at.getTime());
    await b.close();
    m.done();
  }, 60_000);

  it('retries a failed job with backoff, and a RetryLater after its delay', async () => {
    const m = await make();
    const a = await m.open();
    const attempts: { n: number; attempt: number; at: number }[] = [];
    await a.queue.start(async (j) => {
      attempts.push({ n: j.data.n, attempt: j.attempt, at: Date.now() });
      if (j.data.n === 1 && j.attempt === 0) throw new Error('GitHub answered 502');
      if (j.data.n === 2 && attempts.filter((x) => x.n === 2).length === 1) throw new RetryLater('secondary rate limit', 1500);
    });
    await a.queue.send({ queue: 'work', data: { n: 1 } });
    await a.queue.send({ queue: 'work', data: { n: 2 } });
    await until('both retries', () => attempts.filter((x) => x.n === 1).length === 2 && attempts.filter((x) => x.n === 2).length === 2, 30_000);
    const one = attempts.filter((x) => x.n === 1);
    const two = attempts.filter((x) => x.n === 2);
    expect(one[1]!.at - one[0]!.at).toBeGreaterThanOrEqual(900);
    expect(two[1]!.at - two[0]!.at).toBeGreaterThanOrEqual(1400);
    expect(one[1]!.attempt).toBe(1);
    await a.close();
    m.done();
  }, 60_000);
});

describe('pg-boss across processes', () => {
  it('two queues on one database run a delivery sent to both once', async () => {
    const url = await pgServer.createDatabase();
    const a = await pgQueue(url);
    const b = await pgQueue(url);
    const ran: string[] = [];
    await a.queue.start(async (j) => void ran.push(`a${j.data.n}`));
    await b.queue.start(async (j) => void ran.push(`b${j.data.n}`));
    const answers = await Promise.all([
      a.queue.accept({ id: 'same', event: 'push' }, [{ queue: 'work', data: { n: 1 } }]),
      b.queue.accept({ id: 'same', event: 'push' }, [{ queue: 'work', data: { n: 1 } }]),
    ]);
    expect(answers.sort()).toEqual(['accepted', 'duplicate']);
    await until('the job', () => ran.length === 1);
    await new Promise((r) => setTimeout(r, 1500));
    expect(ran).toHaveLength(1);
    await a.close();
    await b.close();
  }, 60_000);
});
