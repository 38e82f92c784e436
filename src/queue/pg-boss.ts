import PgBoss from 'pg-boss';
import { executeSql, type ServiceState } from '../service/open.js';
import { backoffMs, DEFAULT_RETRY, RetryLater, type DeliveryRecord, type JobQueue, type Outgoing, type QueuedJob, type QueueName, type QueueStats, type RetryPolicy } from './types.js';

/** Options of {@link PgBossQueue}. */
export interface PgBossQueueOptions {
  /** Jobs of each queue this process runs at once. Default 4. */
  concurrency?: number;
  retry?: RetryPolicy;
  /** A running job not finished after this long (its process died) is run again. Default 120 s. */
  expireInSeconds?: number;
  /** How often expired jobs are looked for. Default 30 s. */
  maintenanceIntervalSeconds?: number;
  /** How often an idle worker polls. Default 0.5 s. */
  pollingIntervalSeconds?: number;
  onFailed?: (job: QueuedJob<unknown>, error: unknown) => void;
  onError?: (error: Error) => void;
}

/** pg-boss's schema in the database (beside the audit trail's tables). */
export const PG_BOSS_SCHEMA = 'stagegate_boss';

const NAMES: Record<QueueName, string> = { gate: 'stagegate-gate', timer: 'stagegate-timer', work: 'stagegate-work' };

interface Envelope<T> {
  job: T;
  /** Retries so far that were asked for by a `retry-after` (pg-boss counts the others). */
  rescheduled: number;
}

/**
 * The job queue on PostgreSQL, shared by every app process on the database: pg-boss. `gate` is a
 * `stately` queue (per key at most one waiting and one running job, across processes: serialised
 * and coalesced); `timer` a `short` queue keyed by pull request and time (a timer set by several
 * processes is stored once); `work` a standard queue. Failed jobs retry with pg-boss's exponential
 * backoff; a {@link RetryLater} is re-sent after its delay; a job whose process died expires and
 * runs again.
 */
export class PgBossQueue<T> implements JobQueue<T> {
  readonly kind = 'pg-boss' as const;
  readonly #boss: PgBoss;
  readonly #retry: RetryPolicy;
  readonly #concurrency: number;
  #running = 0;
  #failed = 0;
  #started = false;
  readonly #idleWaiters: (() => void)[] = [];

  private constructor(
    private readonly state: ServiceState,
    private readonly options: PgBossQueueOptions,
  ) {
    if (!state.databaseUrl) throw new Error('the pg-boss queue needs PostgreSQL (DATABASE_URL)');
    this.#retry = options.retry ?? DEFAULT_RETRY;
    this.#concurrency = options.concurrency ?? 4;
    this.#boss = new PgBoss({
      connectionString: state.databaseUrl,
      schema: PG_BOSS_SCHEMA,
      max: this.#concurrency * 3 + 2,
      application_name: 'stagegate',
      maintenanceIntervalSeconds: options.maintenanceIntervalSeconds ?? 30,
      monitorStateIntervalSeconds: 30,
    });
    this.#boss.on('error', (err) => options.onError?.(err));
  }

  /** Connects, installs pg-boss's schema when needed and creates the queues. */
  static async open<T>(state: ServiceState, options: PgBossQueueOptions = {}): Promise<PgBossQueue<T>> {
    // Replicas starting together race to install pg-boss's schema and queues (a deadlock, a duplicate): try again.
    for (let attempt = 1; ; attempt++) {
      const q = new PgBossQueue<T>(state, options);
      try {
        return await PgBossQueue.#install(q, options);
      } catch (err) {
        await q.#boss.stop({ graceful: false, wait: true, timeout: 2000 }).catch(() => undefined);
        if (attempt >= 8) throw err;
        await new Promise((r) => setTimeout(r, 100 * attempt + Math.floor(Math.random() * 200)));
      }
    }
  }

  static async #install<T>(q: PgBossQueue<T>, options: PgBossQueueOptions): Promise<PgBossQueue<T>> {
    await q.#boss.start();
    const retry = q.#retry;
    const common = { retryLimit: retry.limit, retryDelay: Math.max(1, Math.round(retry.baseMs / 1000)), retryBackoff: true, expireInSeconds: options.expireInSeconds ?? 120 };
    const create = async (name: string, policy: PgBoss.QueuePolicy) => {
      try {
        await q.#boss.createQueue(name, { name, policy, ...common });
      } catch (err) {
        // Another process created it first.
        if (!(await q.#boss.getQueue(name))) throw err;
      }
    };
    await create(NAMES.gate, 'stately');
    await create(NAMES.timer, 'short');
    await create(NAMES.work, 'standard');
    return q;
  }

  #sendOptions(job: Outgoing<T>): PgBoss.SendOptions {
    const key = job.options?.key;
    const at = job.options?.startAfter;
    const singletonKey = key === undefined ? undefined : job.queue === 'timer' ? `${key}@${at?.toISOString() ?? 'now'}` : key;
    return { ...(singletonKey !== undefined ? { singletonKey } : {}), ...(at ? { startAfter: at } : {}) };
  }

  async accept(delivery: DeliveryRecord, jobs: Outgoing<T>[]): Promise<'accepted' | 'duplicate'> {
    return this.state.transaction(async (tx) => {
      const inserted = await executeSql(tx, 'INSERT INTO stagegate_deliveries (id, event, received_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING RETURNING id', [
        delivery.id,
        delivery.event,
        new Date().toISOString(),
      ]);
      if (inserted.rows.length === 0) return 'duplicate' as const;
      const db = { executeSql: (text: string, values: unknown[]) => executeSql(tx, text, values) };
      for (const job of jobs) await this.#boss.send(NAMES[job.queue], { job: job.data, rescheduled: 0 } satisfies Envelope<T>, { ...this.#sendOptions(job), db });
      return 'accepted' as const;
    });
  }

  async send(job: Outgoing<T>): Promise<boolean> {
    const id = await this.#boss.send(NAMES[job.queue], { job: job.data, rescheduled: 0 } satisfies Envelope<T>, this.#sendOptions(job));
    return id !== null;
  }

  async start(handler: (job: QueuedJob<T>) => Promise<void>): Promise<void> {
    this.#started = true;
    const polling = this.options.pollingIntervalSeconds ?? 0.5;
    for (const queue of Object.keys(NAMES) as QueueName[]) {
      for (let i = 0; i < this.#concurrency; i++) {
        await this.#boss.work<Envelope<T>>(NAMES[queue], { batchSize: 1, pollingIntervalSeconds: polling, includeMetadata: true }, async ([job]) => {
          if (!job) return;
          this.#running++;
          const attempt = job.retryCount + job.data.rescheduled;
          try {
            await handler({ id: job.id, queue, data: job.data.job, attempt });
          } catch (error) {
            if (error instanceof RetryLater && attempt < this.#retry.limit) {
              // GitHub said when: run again then (a new job; this one completes).
              await this.#boss.send(NAMES[queue], { job: job.data.job, rescheduled: job.data.rescheduled + 1 } satisfies Envelope<T>, {
                ...(job.singletonKey ? { singletonKey: job.singletonKey } : {}),
                startAfter: new Date(Date.now() + backoffMs(this.#retry, attempt, error)),
              });
              return;
            }
            if (job.retryCount >= job.retryLimit) {
              this.#failed++;
              this.options.onFailed?.({ id: job.id, queue, data: job.data.job, attempt }, error);
            }
            throw error;
          } finally {
            this.#running--;
            if (this.#running === 0) for (const w of this.#idleWaiters.splice(0)) w();
          }
        });
      }
    }
  }

  async stats(): Promise<QueueStats> {
    let queued = 0;
    for (const name of Object.values(NAMES)) queued += await this.#boss.getQueueSize(name);
    return { queued, running: this.#running, failed: this.#failed };
  }

  async ping(): Promise<void> {
    await this.state.ping();
    await this.#boss.getDb().executeSql('select 1', []);
  }

  /** Resolves when this process runs no job and none is due in its queues. */
  async idle(): Promise<void> {
    for (;;) {
      if (this.#running === 0) {
        const { queued } = await this.stats();
        if (queued === 0 || !this.#started) return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    await this.#boss.stop({ graceful: true, wait: true, timeout: 10_000 });
  }
}
